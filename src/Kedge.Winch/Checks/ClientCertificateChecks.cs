using Kedge.Common.Checks;
using Kedge.Common.Tls;
using Kedge.Winch.Commands;

namespace Kedge.Winch.Checks;

/// <summary>
/// The client certificate winch presents to every kedge (one certificate, so one area rather than a copy per kedge):
/// it loads with its key, allows client authentication, and its expiry (⚠ under 14 days, ✘ expired). Also the CA files
/// kedge's certificate is verified against.
/// </summary>
internal static class ClientCertificateChecks
{
    public const string Area = "client certificate";

    /// <summary>Loads the certificate and the CAs; the lines say what was found.</summary>
    public static (TlsCertificate? Certificate, TrustBundle? Trust, List<CheckResult> Lines) Load(WinchSettings settings, TimeProvider timeProvider)
    {
        var lines = new List<CheckResult>();
        TlsCertificate? certificate = null;
        if (settings.ClientCertFile.Length == 0)
        {
            lines.Add(CheckResult.Pass(Area, "files", $"none configured (--{WinchFlags.ClientTlsCertFile}): winch connects to kedge without one"));
        }
        else
        {
            try
            {
                certificate = TlsCertificate.FromPem(File.ReadAllBytes(settings.ClientCertFile), File.ReadAllBytes(settings.ClientKeyFile));
                var leaf = certificate.Leaf;
                lines.Add(certificate.AllowsClientAuthentication
                    ? CheckResult.Pass(Area, "files", $"{leaf.Subject} (issued by {leaf.Issuer}) from {settings.ClientCertFile} with its key {settings.ClientKeyFile}")
                    : CheckResult.Fail(Area, "files", $"{leaf.Subject} from {settings.ClientCertFile} does not allow client authentication (its Extended Key Usage lacks clientAuth)",
                        "use a client certificate (Extended Key Usage clientAuth) for --client_tls_cert_file"));
                lines.Add(CertificateExpiry.Line(Area, "expiry", leaf, timeProvider.GetUtcNow(), $"{leaf.Subject} from {settings.ClientCertFile}",
                    $"renew the client certificate and replace {settings.ClientCertFile} and {settings.ClientKeyFile} (winch re-reads them when they change)"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException or InvalidOperationException)
            {
                lines.Add(CheckResult.Fail(Area, "files", $"{settings.ClientCertFile} with {settings.ClientKeyFile} cannot be loaded: {ex.Message}",
                    $"give a PEM certificate in --{WinchFlags.ClientTlsCertFile} and its PEM private key in --{WinchFlags.ClientTlsKeyFile}"));
            }
        }

        TrustBundle? trust = null;
        if (settings.RootCaFiles.Count > 0)
        {
            try
            {
                trust = TrustBundle.Load(settings.RootCaFiles);
                lines.Add(CheckResult.Pass(Area, "kedge CA files", $"{trust.Certificates.Count} CA certificate(s) from {string.Join(", ", settings.RootCaFiles)}; kedge's certificate must chain to one of them"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidOperationException or ArgumentException)
            {
                lines.Add(CheckResult.Fail(Area, "kedge CA files", $"--{WinchFlags.ClientTlsRootCaFiles} ({string.Join(", ", settings.RootCaFiles)}) cannot be loaded: {ex.Message}",
                    $"give PEM CA certificates in --{WinchFlags.ClientTlsRootCaFiles}"));
            }
        }

        return (certificate, trust, lines);
    }
}
