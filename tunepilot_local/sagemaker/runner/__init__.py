"""Programs run inside a training job's subprocess (kept import-light so jobs start fast)."""
