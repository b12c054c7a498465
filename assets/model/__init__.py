"""The trained model: launching the trainer through Dagster Pipes and recording its run."""
