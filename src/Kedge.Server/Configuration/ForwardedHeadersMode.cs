namespace Kedge.Server.Configuration;

/// <summary>What kedge does with the forwarding headers a caller sent (<c>Kedge:Server:ForwardedHeaders</c>).</summary>
public enum ForwardedHeadersMode
{
    /// <summary>
    /// The default, for an edge: <c>X-Forwarded-For</c> is set to the address kedge saw, and the caller's
    /// <c>Forwarded</c>, <c>X-Forwarded-Host</c>, <c>X-Forwarded-Proto</c>, <c>X-Forwarded-Prefix</c>,
    /// <c>X-Forwarded-Port</c> and <c>X-Real-IP</c> are removed: nothing a caller says about earlier hops can be trusted.
    /// </summary>
    Set,

    /// <summary>
    /// Behind a proxy kedge trusts: the caller's <c>X-Forwarded-For</c> is kept and the address kedge saw appended, and the
    /// other forwarding headers pass through (what Go kedge's reverse proxy did).
    /// </summary>
    Append,
}
