package dev.privport.testkit.lab;

import jnr.ffi.LibraryLoader;

/** The few libc calls the test kit needs to move one thread into a network namespace. */
public interface LibC {
  int O_RDONLY = 0;
  int O_CLOEXEC = 0x80000;
  int CLONE_NEWNET = 0x40000000;

  int open(String path, int flags);

  int setns(int fd, int nstype);

  int close(int fd);

  /** The loaded library. */
  LibC INSTANCE = LibraryLoader.create(LibC.class).failImmediately().load("c");
}
