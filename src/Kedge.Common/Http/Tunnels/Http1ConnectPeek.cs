namespace Kedge.Common.Http.Tunnels;

/// <summary>What the first bytes of a connection say about it.</summary>
internal enum Http1ConnectPeek
{
    /// <summary>The bytes so far are a prefix of <c>CONNECT </c>: read more before deciding.</summary>
    NeedMore,

    /// <summary>The connection starts with <c>CONNECT </c>.</summary>
    Connect,

    /// <summary>Anything else (another method, an HTTP/2 preface, garbage): HTTP's business, handed over unchanged.</summary>
    NotConnect,
}
