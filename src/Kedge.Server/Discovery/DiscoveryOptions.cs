namespace Kedge.Server.Discovery;

/// <summary>
/// Routing discovery from labelled Kubernetes Services (the Go flags <c>kedge_dynamic_routings_enabled</c>,
/// <c>discovery_external_domain_suffix</c>, <c>discovery_label_annotation_prefix</c>; natively <c>Kedge:Discovery</c>).
/// </summary>
public sealed class DiscoveryOptions
{
    /// <summary>Watch Services labelled <c>&lt;prefix&gt;kedge-exposed</c> in all namespaces and route to them. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Generated hosts are <c>&lt;service&gt;.&lt;namespace&gt;.svc.&lt;suffix&gt;</c>. Required when enabled, for example <c>cluster-a.kedge</c>.</summary>
    public string? ExternalDomainSuffix { get; set; }

    /// <summary>Prefix of the label and the annotations. Default <c>kedge.com/</c>.</summary>
    public string LabelAnnotationPrefix { get; set; } = "kedge.com/";

    /// <summary>A burst of Service events is applied once it has been quiet this long. Default 100 ms.</summary>
    public TimeSpan DebounceDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A steady stream of events is still applied at least this often. Default 1 s.</summary>
    public TimeSpan MaxDebounceDelay { get; set; } = TimeSpan.FromSeconds(1);
}
