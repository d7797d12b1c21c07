using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.Testing;

/// <summary>How a <see cref="LoopbackServer"/> listens.</summary>
public sealed class LoopbackServerOptions
{
    /// <summary>The server certificate; <see langword="null"/> for plain text.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>Picks the server certificate per handshake (for rotation tests); wins over <see cref="ServerCertificate"/>.</summary>
    public Func<X509Certificate2>? ServerCertificateSelector { get; set; }

    public ClientCertificateMode ClientCertificateMode { get; set; } = ClientCertificateMode.NoCertificate;

    /// <summary>The CA client certificates must chain to (custom root trust).</summary>
    public TestCertificateAuthority? ClientCertificateAuthority { get; set; }

    public HttpProtocols Protocols { get; set; } = HttpProtocols.Http1AndHttp2;

    /// <summary>The TLS versions the server accepts; <see cref="System.Security.Authentication.SslProtocols.None"/> (the default): the system's choice.</summary>
    public System.Security.Authentication.SslProtocols SslProtocols { get; set; } = System.Security.Authentication.SslProtocols.None;

    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Accept <c>:scheme http</c> over TLS, as a kedge must for Kedge.Client (on by default).</summary>
    public bool AllowAlternateSchemes { get; set; } = true;
}
