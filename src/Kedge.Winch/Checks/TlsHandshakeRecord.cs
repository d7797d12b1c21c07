using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Winch.Checks;

/// <summary>
/// What the certificate validation callback of a check's TLS handshake saw: kedge's certificate and its errors. The
/// record owns the certificate it holds: a replaced one is disposed, and the last one when the record is.
/// </summary>
internal sealed class TlsHandshakeRecord : IDisposable
{
    private X509Certificate2? _certificate;

    public X509Certificate2? Certificate
    {
        get => _certificate;
        set
        {
            if (!ReferenceEquals(_certificate, value))
            {
                _certificate?.Dispose();
                _certificate = value;
            }
        }
    }

    public SslPolicyErrors Errors { get; set; }

    public IReadOnlyList<string> ChainStatus { get; set; } = [];

    /// <summary>Keeps a copy of what the callback saw (the callback's own certificate belongs to the SslStream).</summary>
    public void Capture(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        Certificate = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        Errors = errors;
        ChainStatus = chain is null ? [] : [.. chain.ChainStatus.Select(s => s.Status.ToString()).Distinct()];
    }

    public void Dispose() => Certificate = null;
}
