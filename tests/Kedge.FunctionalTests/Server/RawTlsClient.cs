using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// Sends one hand-written HTTP/1.1 request over mTLS and returns the raw response: for request forms HttpClient does not
/// produce on its own, such as an absolute-form (forward-proxy) request line.
/// </summary>
internal static class RawTlsClient
{
    public static async Task<string> SendAsync(int port, string requestHead, X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var ssl = new SslStream(tcp.GetStream());
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(ca);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [clientCertificate],
            CertificateChainPolicy = policy,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(requestHead.Replace("\n", "\r\n", StringComparison.Ordinal) + "Connection: close\r\n\r\n"));
        using var reader = new StreamReader(ssl, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
