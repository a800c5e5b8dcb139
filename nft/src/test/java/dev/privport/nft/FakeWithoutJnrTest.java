package dev.privport.nft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link Nftables#fake()} needs neither root nor libnftables nor jnr-ffi: it runs in a JVM whose
 * class path lacks jnr-ffi and jffi altogether, and in this JVM it loads no jnr class.
 */
class FakeWithoutJnrTest {
  @Test
  void theFakeRunsWithJnrFfiAbsentFromTheClassPath() throws IOException, InterruptedException {
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !entry.contains("jnr") && !entry.contains("jffi"))
            .collect(Collectors.joining(File.pathSeparator));
    assertThat(classPath).contains("gson").doesNotContain("jnr-ffi");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classPath,
                FakeProbeMain.class.getName(),
                "look-for-jnr")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out.lines().toList())
        .containsExactly(
            "jnrAbsent=true",
            "inSync=true",
            "drift=table inet privport: absent",
            "rollback=table inet privport is removed again: it did not exist before the trial",
            "ok");
  }

  @Test
  void theFakeLoadsNoJnrClassInThisJvm() {
    // A fresh class loader over the same class path, so that no earlier test's loads count.
    ClassLoader parent = ClassLoader.getPlatformClassLoader();
    List<java.net.URL> urls =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .map(
                entry -> {
                  try {
                    return Path.of(entry).toUri().toURL();
                  } catch (java.net.MalformedURLException e) {
                    throw new IllegalStateException(e);
                  }
                })
            .toList();
    try (Recording loader = new Recording(urls.toArray(java.net.URL[]::new), parent)) {
      Class<?> main = loader.loadClass(FakeProbeMain.class.getName());
      main.getMethod("main", String[].class).invoke(null, (Object) new String[0]);
      assertThat(loader.loaded)
          .isNotEmpty()
          .noneMatch(name -> name.startsWith("jnr.") || name.startsWith("com.kenai.jffi"));
      assertThat(loader.loaded)
          .contains("dev.privport.nft.FakeNftables", "dev.privport.nft.Nftables");
    } catch (ReflectiveOperationException | IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Records the name of every class it defines. */
  private static final class Recording extends java.net.URLClassLoader {
    final List<String> loaded = new java.util.concurrent.CopyOnWriteArrayList<>();

    Recording(java.net.URL[] urls, ClassLoader parent) {
      super(urls, parent);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      loaded.add(name);
      return super.findClass(name);
    }
  }
}
