/**
 * privport's model: redirect intents ({@link dev.privport.core.RedirectPlan}), the canonical rules
 * every backend renders, remedies and advice, and the backend SPI.
 *
 * <p>A real module rather than an automatic one, so that it can require Guava: an automatic module
 * cannot, and a consumer on the module path would then need {@code --add-modules
 * com.google.common}. The backends (privport-nft, -iptables, -firewalld) are automatic modules
 * whose {@code META-INF/services} entries provide {@link dev.privport.core.spi.PlanRenderer}; the
 * {@code uses} clause binds them without the consumer naming them. The remedies that take a plan
 * (redir, the unprivileged port start) are provided here. Every package is exported.
 */
module dev.privport.core {
  requires com.google.common;

  exports dev.privport.core;
  exports dev.privport.core.advice;
  exports dev.privport.core.remedy;
  exports dev.privport.core.spi;

  uses dev.privport.core.spi.PlanRenderer;

  provides dev.privport.core.spi.PlanRenderer with
      dev.privport.core.remedy.RedirRenderer,
      dev.privport.core.remedy.UnprivilegedPortStartRenderer;
}
