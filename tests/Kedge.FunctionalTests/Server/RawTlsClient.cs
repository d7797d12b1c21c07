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
    public static Task<string> SendAsync(int port, string requestHead, X509Certificate2 clientCertificate, X509Certificate2 ca)
        => SendBytesAsync(port, Encoding.ASCII.GetBytes(requestHead.Replace("\n", "\r\n", StringComparison.Ordinal) + "Connection: close\r\n\r\n"), clientCertificate, ca);

    /// <summary>Sends <paramref name="request"/> byte for byte (bare LFs, odd framing) and reads until kedge closes.</summary>
    public static async Task<string> SendBytesAsync(int port, byte[] request, X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        await using var ssl = await ConnectAsync(port, clientCertificate, ca, SslApplicationProtocol.Http11);
        await ssl.WriteAsync(request);
        using var reader = new StreamReader(ssl, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>An mTLS connection to kedge that offers only <paramref name="protocol"/> in ALPN.</summary>
    public static async Task<SslStream> ConnectAsync(int port, X509Certificate2 clientCertificate, X509Certificate2 ca, SslApplicationProtocol protocol)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port);
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(ca);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [clientCertificate],
                CertificateChainPolicy = policy,
                ApplicationProtocols = [protocol],
            });
            return ssl;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
