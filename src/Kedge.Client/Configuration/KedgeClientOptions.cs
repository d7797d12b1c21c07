using Kedge.Client.Mapping;

namespace Kedge.Client.Configuration;

/// <summary>
/// Kedge.Client settings, bound from the <c>Kedge</c> configuration section by convention. See the package README for the
/// JSON shape. Bound with <c>AddKedgeClient(section)</c>, a key under the section that no property reads is an error at
/// start, and a reload of the section is followed by the registered <see cref="KedgeClient"/>.
/// </summary>
public sealed class KedgeClientOptions
{
    /// <summary>The routes, tried in order; the first that maps a target wins.</summary>
    public IList<KedgeRouteOptions> Routes { get; } = [];

    /// <summary>
    /// A mapper built in code. When set it is used instead of <see cref="Routes"/>; its token sources are its own.
    /// </summary>
    public KedgeMapper? Mapper { get; set; }

    /// <summary>The client certificate presented to kedge, or <see langword="null"/> (the default) for none.</summary>
    public KedgeClientCertificateOptions? ClientCertificate { get; set; }

    /// <summary>
    /// PEM files with the CA certificates kedge's certificate must chain to. Empty (the default): the system's trusted roots.
    /// The files are re-read when they change.
    /// </summary>
    public IList<string> KedgeCaFiles { get; } = [];

    /// <summary>Named token sources that routes refer to in <c>ProxyAuth</c> and <c>BackendAuth</c>.</summary>
    public IDictionary<string, KedgeTokenSourceOptions> TokenSources { get; } = new Dictionary<string, KedgeTokenSourceOptions>(StringComparer.Ordinal);

    /// <summary>
    /// How long a connection to kedge is used before it is replaced; bounds how long a rotated client certificate
    /// stays in use on old connections. Default 5 minutes.
    /// </summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often certificate, CA and token files are checked for changes. Default 5 seconds.</summary>
    public TimeSpan FileRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The TCP connect timeout to kedge. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Accept any kedge certificate without verifying it (Go's <c>client_insecure</c>). Only winch sets it, for its
    /// <c>--client_insecure</c> flag; it is not bound from configuration.
    /// </summary>
    internal bool InsecureSkipVerify { get; private set; }

    /// <summary>
    /// Accepts any kedge certificate without verifying it (Go's <c>client_insecure</c>), for tools whose operator asked
    /// for it explicitly on the command line, as winch's <c>--client_insecure</c>. A method, so configuration binding can
    /// never switch verification off. Default: certificates are verified.
    /// </summary>
    public void AcceptAnyKedgeCertificate() => InsecureSkipVerify = true;
}
