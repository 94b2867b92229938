# tests/fuzz: fuzz targets (fragment of Makefile.in)
