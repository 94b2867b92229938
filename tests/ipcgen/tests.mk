# ipcgen tests
