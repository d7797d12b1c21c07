namespace Kedge.Client.Configuration;

/// <summary>
/// The client certificate: either <see cref="CertificateFile"/> and <see cref="KeyFile"/> (PEM), or <see cref="PfxFile"/>.
/// The files are re-read when they change (Kubernetes secret-volume updates included), without a restart.
/// </summary>
public sealed class KedgeClientCertificateOptions
{
    /// <summary>A PEM file with the certificate, optionally followed by its intermediates (for example <c>tls.crt</c>).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>A PEM file with the private key (for example <c>tls.key</c>).</summary>
    public string? KeyFile { get; set; }

    /// <summary>A PKCS#12 file with the certificate and key.</summary>
    public string? PfxFile { get; set; }

    /// <summary>The PFX password, if any.</summary>
    public string? Password { get; set; }
}
