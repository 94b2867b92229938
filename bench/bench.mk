# bench: fragment of Makefile.in (nothing here yet)
