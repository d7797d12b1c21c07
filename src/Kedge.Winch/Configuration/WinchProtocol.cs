namespace Kedge.Winch.Configuration;

/// <summary>Which of winch's proxies a route serves (Go winch's <c>winch.config.Protocol</c>, numbered as in the proto).</summary>
internal enum WinchProtocol
{
    /// <summary>Both the HTTP and the gRPC proxy.</summary>
    Any = 0,

    /// <summary>The HTTP proxy only.</summary>
    Http = 1,

    /// <summary>The gRPC proxy only.</summary>
    Grpc = 2,
}
