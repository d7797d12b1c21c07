using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Winch.Checks;

/// <summary>What the certificate validation callback of a check's TLS handshake saw: kedge's certificate and its errors.</summary>
internal sealed class TlsHandshakeRecord
{
    public X509Certificate2? Certificate { get; set; }

    public SslPolicyErrors Errors { get; set; }

    public IReadOnlyList<string> ChainStatus { get; set; } = [];
}
