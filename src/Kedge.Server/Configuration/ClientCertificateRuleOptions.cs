namespace Kedge.Server.Configuration;

/// <summary>
/// Client-certificate identities a route accepts: any pattern of any list may match. In a pattern, <c>*</c> stands for
/// any run of characters (<c>spiffe://cluster-a/ns/payments/*</c>, <c>*.payments.cluster-a</c>). Subject CNs and URIs
/// compare exactly; DNS names ignore case.
/// </summary>
public sealed class ClientCertificateRuleOptions
{
    /// <summary>Patterns for the subject's common name.</summary>
    public List<string> SubjectCommonNames { get; set; } = [];

    /// <summary>Patterns for the DNS names in the subject alternative names.</summary>
    public List<string> DnsNames { get; set; } = [];

    /// <summary>Patterns for the URIs in the subject alternative names (SPIFFE ids).</summary>
    public List<string> Uris { get; set; } = [];

    internal bool IsEmpty => SubjectCommonNames.Count == 0 && DnsNames.Count == 0 && Uris.Count == 0;
}
