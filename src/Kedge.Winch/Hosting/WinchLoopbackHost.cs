namespace Kedge.Winch.Hosting;

/// <summary>
/// The one rule for "a Host header that names this machine's loopback": <c>localhost</c>, <c>127.0.0.1</c> or
/// <c>[::1]</c>, in any case (host names are case-insensitive), with nothing before or after.
/// </summary>
internal static class WinchLoopbackHost
{
    /// <summary>The names, as error messages list them.</summary>
    public const string Names = "localhost, 127.0.0.1 or [::1]";

    /// <summary>Whether <paramref name="host"/> (a Host header's host, without the port) is a loopback name.</summary>
    public static bool Is(string host)
        => host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host is "127.0.0.1" or "[::1]";
}
