using Kedge.Server.Authorization;
using Kedge.Server.Forwarding;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Observability;

/// <summary>
/// Who called, as the TLS layer proved it: the client certificate's subject and its DNS and URI subject alternative
/// names. Never a token or a header: those are the caller's claims, and secrets. Read once per connection.
/// </summary>
internal sealed class CallerIdentity
{
    private static readonly object ItemKey = new();
    private static readonly CallerIdentity Anonymous = new(string.Empty, []);

    private CallerIdentity(string subject, string[] alternativeNames)
    {
        Subject = subject;
        AlternativeNames = alternativeNames;
    }

    /// <summary>The certificate's subject (printable ASCII), or empty without a client certificate.</summary>
    public string Subject { get; }

    /// <summary>The certificate's names, as <c>DNS:name</c> and <c>URI:uri</c> (printable ASCII).</summary>
    public string[] AlternativeNames { get; }

    public static CallerIdentity Of(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(ItemKey, out var known) && known is CallerIdentity cached)
        {
            return cached;
        }

        var identity = Anonymous;
        if (context.Connection.ClientCertificate is { } certificate)
        {
            var names = ClientCertificateHandler.SubjectAlternativeNames(certificate)
                .Select(n => (n.Tag.TagValue == 2 ? "DNS:" : "URI:") + KedgeErrors.Printable(n.Value))
                .ToArray();
            identity = new CallerIdentity(KedgeErrors.Printable(certificate.Subject), names);
        }

        if (items is not null)
        {
            items[ItemKey] = identity;
        }

        return identity;
    }
}
