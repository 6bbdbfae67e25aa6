"""What a person runs: training (`train.ppo`), watching (`train.record`) and comparing runs."""
