"""Grid sweeps: grid files (:mod:`.grid`), cells (:mod:`.cell`), the driver with its local pool and Ray
executors (:mod:`.driver`), the results database (:mod:`.database`) and ``glifac sweep`` (:mod:`.cli`).

The driver never imports TensorFlow; cells run in worker processes.
"""
from glifac.sweep.driver import SweepResult, plan, run_sweep, sweep_status, sweep_table
from glifac.sweep.grid import Grid, grid_from_dict, load_grid, shipped_grids

__all__ = ["Grid", "SweepResult", "grid_from_dict", "load_grid", "plan", "run_sweep", "shipped_grids",
           "sweep_status", "sweep_table"]
