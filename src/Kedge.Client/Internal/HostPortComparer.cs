namespace Kedge.Client.Internal;

/// <summary>Compares (host, port) keys with the host case-insensitive, as DNS names are.</summary>
internal sealed class HostPortComparer : IEqualityComparer<(string Host, int? Port)>
{
    public static readonly HostPortComparer Instance = new();

    public bool Equals((string Host, int? Port) x, (string Host, int? Port) y)
        => x.Port == y.Port && string.Equals(x.Host, y.Host, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode((string Host, int? Port) obj)
        => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Host), obj.Port);
}
