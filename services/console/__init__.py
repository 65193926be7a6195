"""Console: the staff's pages — sign-in, the linkage centre's board — over its own read model of every case."""
