using System.Net;
using Kedge.Common.Tls;
using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Proxy;
using Kedge.Winch.Routing;

namespace Kedge.Winch.Checks;

/// <summary>What the checks of <c>winch check</c> share: winch's settings, routes, token sources and Kedge.Client clients, built as a start builds them.</summary>
internal sealed class WinchCheckContext
{
    public required WinchSettings Settings { get; init; }

    public required WinchMappers Mappers { get; init; }

    public required AuthSourceFactory Auth { get; init; }

    /// <summary>The clients winch sends through: the route requests use these, so they go the way winch's do.</summary>
    public required WinchKedgeClients Clients { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    /// <summary>How the kedge hosts are resolved: the system resolver (as winch's connections do) unless a test gives its own.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> ResolveHostAsync { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>Each check's time.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>The <c>--probe</c> targets.</summary>
    public required IReadOnlyList<string> Probes { get; init; }

    /// <summary>Where the mapper config came from, for messages: <c>mapper config (/path/winch.json)</c>.</summary>
    public required string MapperSource { get; init; }

    /// <summary>Where the auth config came from, for messages.</summary>
    public required string AuthSource { get; init; }

    /// <summary>The client certificate, or null when none is configured or it cannot be loaded (its own line says so).</summary>
    public TlsCertificate? ClientCertificate { get; init; }

    /// <summary>The CAs kedge's certificate must chain to; null for the system roots.</summary>
    public TrustBundle? Trust { get; init; }

    /// <summary>Where kedge's certificate is verified against, for messages.</summary>
    public string TrustSource => Settings.RootCaFiles.Count == 0 ? "the system's trusted roots" : "--client_tls_root_ca_files (" + string.Join(", ", Settings.RootCaFiles) + ")";
}
