package dev.privport.nft;

import jnr.ffi.Pointer;

/**
 * The jnr-ffi binding to {@code libnftables.so.1}, declared from {@code
 * include/nftables/libnftables.h} (a test compares it with the installed header). Only functions of
 * symbol version LIBNFTABLES_1, present since libnftables 0.9.1, are bound, so the binding loads on
 * every distribution that ships inet-family NAT.
 *
 * <p>This is the raw, honest binding (public only because jnr-ffi implements it from another class
 * loader). It is not safe to call directly from several threads; use {@link Nftables}, which
 * serialises every call process-wide and copies buffers out at once.
 *
 * @hidden Not API: left out of the published javadoc, because it is public only for jnr-ffi.
 */
public interface LibNftables {
  /** The versioned soname distributions ship without their -dev package. */
  String SONAME = "libnftables.so.1";

  int NFT_CTX_DEFAULT = 0;
  int NFT_CTX_OUTPUT_STATELESS = 1 << 2;
  int NFT_CTX_OUTPUT_HANDLE = 1 << 3;
  int NFT_CTX_OUTPUT_JSON = 1 << 4;
  int NFT_CTX_OUTPUT_ECHO = 1 << 5;

  /**
   * {@code struct nft_ctx *nft_ctx_new(uint32_t flags)}; may call exit() if netlink is unavailable.
   */
  Pointer nft_ctx_new(int flags);

  /** {@code void nft_ctx_free(struct nft_ctx *ctx)}. */
  void nft_ctx_free(Pointer ctx);

  /** {@code bool nft_ctx_get_dry_run(struct nft_ctx *ctx)}: a one-byte C bool. */
  byte nft_ctx_get_dry_run(Pointer ctx);

  /** {@code void nft_ctx_set_dry_run(struct nft_ctx *ctx, bool dry)}. */
  void nft_ctx_set_dry_run(Pointer ctx, byte dry);

  /** {@code unsigned int nft_ctx_output_get_flags(struct nft_ctx *ctx)}. */
  int nft_ctx_output_get_flags(Pointer ctx);

  /** {@code void nft_ctx_output_set_flags(struct nft_ctx *ctx, unsigned int flags)}. */
  void nft_ctx_output_set_flags(Pointer ctx, int flags);

  /** {@code int nft_ctx_buffer_output(struct nft_ctx *ctx)}. */
  int nft_ctx_buffer_output(Pointer ctx);

  /** {@code const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx)}: reading it empties it. */
  Pointer nft_ctx_get_output_buffer(Pointer ctx);

  /** {@code int nft_ctx_buffer_error(struct nft_ctx *ctx)}. */
  int nft_ctx_buffer_error(Pointer ctx);

  /** {@code const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx)}. */
  Pointer nft_ctx_get_error_buffer(Pointer ctx);

  /**
   * {@code int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf)}: 0 on success. {@code
   * buf} is the text as NUL-terminated UTF-8 ({@link NftContext#cString}).
   */
  int nft_run_cmd_from_buffer(Pointer ctx, byte[] buf);

  /**
   * {@code int nft_run_cmd_from_filename(struct nft_ctx *nft, const char *filename)}: 0 on success.
   * Unlike a buffer, a file gives errors a {@code file:line:col} location and the right context
   * line. {@code filename} as NUL-terminated UTF-8.
   */
  int nft_run_cmd_from_filename(Pointer ctx, byte[] filename);
}
