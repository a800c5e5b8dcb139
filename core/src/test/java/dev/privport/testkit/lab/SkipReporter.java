package dev.privport.testkit.lab;

import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints every skipped or aborted test class or test with its reason, one line on stderr. Surefire
 * shows a class whose {@code @BeforeAll} aborts (a kernel test without root, say) as "Tests run: 0"
 * and keeps the reason in its XML report only; this says it where the user is looking. Registered
 * with the JUnit Platform launcher through {@code META-INF/services}, so it runs in every module
 * whose tests use the test kit, for JUnit Jupiter and jqwik alike.
 */
public final class SkipReporter implements TestExecutionListener {
  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    report(test, reason);
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      report(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
    }
  }

  private static void report(TestIdentifier test, String reason) {
    System.err.println("SKIPPED " + name(test) + ": " + reason);
  }

  /** The class (and method) a test identifier stands for, else its display name. */
  private static String name(TestIdentifier test) {
    return test.getSource()
        .flatMap(
            source -> {
              if (source instanceof ClassSource c) {
                return Optional.of(c.getClassName());
              }
              if (source instanceof MethodSource m) {
                return Optional.of(m.getClassName() + "." + m.getMethodName());
              }
              return Optional.empty();
            })
        .orElse(test.getDisplayName());
  }
}
