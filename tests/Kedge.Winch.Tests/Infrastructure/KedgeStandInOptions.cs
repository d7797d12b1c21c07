using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>How a <see cref="KedgeStandIn"/> differs from the default kedge (mTLS required, HTTP/1.1 and HTTP/2).</summary>
public sealed record KedgeStandInOptions
{
    /// <summary>The client certificate's lifetime; null for 30 days.</summary>
    public TimeSpan? ClientLifetime { get; init; }

    /// <summary>Whether kedge trusts client certificates of another CA only (so it refuses winch's).</summary>
    public bool TrustsAnotherCa { get; init; }

    /// <summary>Whether kedge asks for a client certificate at all; default: it requires one.</summary>
    public ClientCertificateMode ClientCertificateMode { get; init; } = ClientCertificateMode.RequireCertificate;

    /// <summary>The HTTP versions kedge speaks (and offers in ALPN).</summary>
    public HttpProtocols Protocols { get; init; } = HttpProtocols.Http1AndHttp2;

    /// <summary>Middleware that runs before the stand-in's own answers (for misbehaving kedges).</summary>
    public Action<IApplicationBuilder>? Configure { get; init; }
}
