using System.Diagnostics.Metrics;

namespace Kedge.Client.Internal;

/// <summary>
/// Kedge.Client's instruments (<see cref="KedgeClientDiagnostics.MeterName"/>). Every tag value is bounded by the
/// configuration (mapping rules, token source names) or a fixed vocabulary; a caller's target never becomes one.
/// </summary>
internal sealed class KedgeClientMetrics
{
    public const string Ok = "ok";
    public const string KedgeError = "kedge-error";
    public const string TransportError = "transport-error";
    public const string TokenError = "token-error";
    public const string Cancelled = "cancelled";

    private static readonly Lazy<KedgeClientMetrics> StaticInstance = new(() => new KedgeClientMetrics(new Meter(KedgeClientDiagnostics.MeterName)));

    private readonly Counter<long> _requests;
    private readonly Counter<long> _mappingFailures;
    private readonly Counter<long> _certificateReloads;
    private readonly Counter<long> _tokenRefreshes;
    private readonly Counter<long> _kedgeAttempts;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _ejections;

    private KedgeClientMetrics(Meter meter)
    {
        _requests = meter.CreateCounter<long>("kedge.client.requests", "{request}", "Calls sent to a kedge, by the mapping rule that chose the kedge and the outcome.");
        _mappingFailures = meter.CreateCounter<long>("kedge.client.mapping_failures", "{failure}", "Targets the mapper refused (an IP address, a name a rule cannot turn into a kedge URL).");
        _certificateReloads = meter.CreateCounter<long>("kedge.client.certificate_reloads", "{reload}", "Changed client certificate or kedge CA files, by whether they loaded.");
        _tokenRefreshes = meter.CreateCounter<long>("kedge.client.token_refreshes", "{refresh}", "Tokens a token source fetched or re-read, by source and result.");
        _kedgeAttempts = meter.CreateCounter<long>("kedge.client.failover.attempts", "{attempt}", "Sends to one kedge of a route with several kedges, by kedge and result.");
        _failovers = meter.CreateCounter<long>("kedge.client.failover.failovers", "{failover}", "Calls moved from a kedge to the next of their route, by the kedge left and the reason.");
        _ejections = meter.CreateCounter<long>("kedge.client.failover.ejections", "{ejection}", "Kedges ejected after a failure, by kedge and reason.");
    }

    /// <summary>The meter for clients made without dependency injection (one per process).</summary>
    public static KedgeClientMetrics Static => StaticInstance.Value;

    /// <summary>The instruments on <paramref name="meterFactory"/>'s meter, or the static ones without a factory.</summary>
    public static KedgeClientMetrics Create(IMeterFactory? meterFactory)
        => meterFactory is null ? Static : new KedgeClientMetrics(meterFactory.Create(KedgeClientDiagnostics.MeterName));

    /// <param name="mappingRule">
    /// The rule from the configuration, not the kedge URL: a suffix or regexp mapper builds that URL from the target's
    /// labels, so as a tag it would add a series per target.
    /// </param>
    /// <param name="outcome">One of the outcome constants.</param>
    public void Request(string mappingRule, string outcome)
        => _requests.Add(1, new KeyValuePair<string, object?>("kedge.mapping_rule", mappingRule), new KeyValuePair<string, object?>("outcome", outcome));

    /// <param name="kedge">The kedge URL's authority: routes with several kedges name them in the configuration.</param>
    /// <param name="result">One of the <see cref="Failover.FailoverReasons"/> values, or <c>success</c>.</param>
    public void KedgeAttempt(string kedge, string result)
        => _kedgeAttempts.Add(1, new KeyValuePair<string, object?>("kedge", kedge), new KeyValuePair<string, object?>("result", result));

    public void Failover(string kedge, string reason)
        => _failovers.Add(1, new KeyValuePair<string, object?>("kedge", kedge), new KeyValuePair<string, object?>("reason", reason));

    public void Ejection(string kedge, string reason)
        => _ejections.Add(1, new KeyValuePair<string, object?>("kedge", kedge), new KeyValuePair<string, object?>("reason", reason));

    public void MappingFailure() => _mappingFailures.Add(1);

    public void CertificateReload(string certificate, bool succeeded)
        => _certificateReloads.Add(1, new KeyValuePair<string, object?>("certificate", certificate), new KeyValuePair<string, object?>("result", succeeded ? "success" : "failure"));

    public void TokenRefresh(string source, bool succeeded)
        => _tokenRefreshes.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("result", succeeded ? "success" : "failure"));
}
