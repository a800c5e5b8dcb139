package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a jnr-ffi that cannot start is reported: one line, naming the cause. */
class NftLoadFailureTest {
  /**
   * What jnr-ffi 2.2 / jffi 1.3 throw when first used under {@code ar-EG}, stack trace included.
   */
  private static UnsatisfiedLinkError localizedStub() {
    UnsatisfiedLinkError top =
        new UnsatisfiedLinkError("could not load FFI provider jnr.ffi.provider.jffi.Provider");
    top.initCause(
        new UnsatisfiedLinkError(
            "could not get native definition for type `POINTER`, original error message follows:"
                + " java.lang.UnsatisfiedLinkError: could not locate stub library in jar file. "
                + " Tried [jni/x86_64-Linux/libjffi-١.٢.so, /jni/x86_64-Linux/libjffi-١.٢.so]\n"
                + "\tat com.kenai.jffi.internal.StubLoader.getStubLibraryStream(StubLoader.java:589)\n"
                + "\tat com.kenai.jffi.internal.StubLoader.loadFromJar(StubLoader.java:444)\n"));
    return top;
  }

  @Test
  void aStubNameFormattedInTheDefaultLocaleIsNamedAsSuch() {
    NftablesException e = NftContext.loadFailure("libnftables.so.1", localizedStub());
    assertThat(e.reason()).isEqualTo(NftablesException.Reason.FFI_UNAVAILABLE);
    assertThat(e.getMessage())
        .hasLineCount(1)
        .contains("libjffi-١.٢.so")
        .contains("default locale")
        .contains("-Duser.language=en")
        .doesNotContain("install libnftables")
        .doesNotContain("StubLoader.java");
  }

  @Test
  void anotherJffiFailureKeepsItsOwnTextWithoutTheStackTrace() {
    UnsatisfiedLinkError top =
        new UnsatisfiedLinkError("could not load FFI provider jnr.ffi.provider.jffi.Provider");
    top.initCause(
        new UnsatisfiedLinkError(
            "could not get native definition for type `POINTER`, original error message follows:"
                + " java.lang.UnsatisfiedLinkError: /tmp/jffi123.so: failed to map segment\n"
                + "\tat com.kenai.jffi.internal.StubLoader.loadFromJar(StubLoader.java:444)\n"));
    NftablesException e = NftContext.loadFailure("libnftables.so.1", top);
    assertThat(e.reason()).isEqualTo(NftablesException.Reason.FFI_UNAVAILABLE);
    assertThat(e.getMessage())
        .hasLineCount(1)
        .contains("failed to map segment")
        .contains("jffi.extract.dir")
        .doesNotContain("StubLoader.java")
        .doesNotContain("install libnftables");
  }
}
