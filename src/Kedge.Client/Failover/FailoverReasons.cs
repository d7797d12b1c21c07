namespace Kedge.Client.Failover;

/// <summary>The <c>reason</c> / <c>result</c> tag values of the failover metrics (a fixed vocabulary).</summary>
internal static class FailoverReasons
{
    public const string Success = "success";

    /// <summary>The connection or the TLS handshake to the kedge failed: nothing reached it.</summary>
    public const string ConnectFailed = "connect_failed";

    /// <summary>The connection broke after the request may have reached the kedge.</summary>
    public const string ConnectionBroken = "connection_broken";

    /// <summary>The kedge answered NoResolutionAvailable or NoConnectionToAllResolvedAddresses.</summary>
    public const string NoHealthyEndpoint = "no_healthy_endpoint";
}
