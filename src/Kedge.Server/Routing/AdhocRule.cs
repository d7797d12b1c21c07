using System.Net;
using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Routing;

/// <summary>
/// A compiled adhoc rule (Go semantics, reference §3.3/§4.3): a name matcher (<c>*.suffix</c> or exact, here
/// case-insensitive), allowed ports and ranges with a default, an optional name rewrite, and the reserved networks the
/// rule may reach. Immutable.
/// </summary>
internal sealed class AdhocRule
{
    /// <summary>The port of a request that gives none, when the rule sets no default (80 for HTTP and gRPC alike).</summary>
    public const int FallbackDefaultPort = 80;

    private readonly string _matcher;
    private readonly bool _isSuffix;
    private readonly int[] _allowed;
    private readonly AdhocPortRangeOptions[] _ranges;
    private readonly IPNetwork[] _reservedAllowed;

    public AdhocRule(int index, AdhocRuleOptions options, AuthorizationPolicy? policy)
    {
        Index = index;
        var matcher = options.DnsNameMatcher ?? string.Empty;
        _isSuffix = matcher.StartsWith('*');
        _matcher = _isSuffix ? matcher[1..] : matcher;
        DefaultPort = options.Port.Default == 0 ? FallbackDefaultPort : options.Port.Default;
        _allowed = [.. options.Port.Allowed];
        _ranges = [.. options.Port.AllowedRanges];
        ReplacePattern = string.IsNullOrEmpty(options.DnsNameReplace?.Pattern) ? null : options.DnsNameReplace.Pattern;
        ReplaceSubstitution = options.DnsNameReplace?.Substitution ?? string.Empty;
        _reservedAllowed = [.. options.AllowedReservedNetworks.Select(n => IPNetwork.Parse(n))];
        Policy = policy;
        Description = $"adhoc rule {index} ('{matcher}')";
    }

    public int Index { get; }

    public int DefaultPort { get; }

    public string? ReplacePattern { get; }

    public string ReplaceSubstitution { get; }

    /// <summary>Who may use the rule, or <see langword="null"/> for anyone the TLS layer let in.</summary>
    public AuthorizationPolicy? Policy { get; }

    /// <summary>For messages.</summary>
    public string Description { get; }

    public bool MatchesName(string host) => _matcher.Length > 0
        && (_isSuffix ? host.EndsWith(_matcher, StringComparison.OrdinalIgnoreCase) : host.Equals(_matcher, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether <paramref name="port"/> is in the allowed list or ranges (the default is not implicitly allowed, as in Go).</summary>
    public bool AllowsPort(int port) => _allowed.Contains(port) || _ranges.Any(r => port >= r.From && port <= r.To);

    /// <summary>The name to resolve: the host with every occurrence of the pattern replaced; <see langword="null"/> when the pattern does not occur.</summary>
    public string? NameToResolve(string host)
    {
        if (ReplacePattern is null)
        {
            return host;
        }

        return host.Contains(ReplacePattern, StringComparison.OrdinalIgnoreCase)
            ? host.Replace(ReplacePattern, ReplaceSubstitution, StringComparison.OrdinalIgnoreCase)
            : null;
    }

    /// <summary>
    /// Whether kedge may connect to <paramref name="address"/> for this rule: loopback, link-local (cloud metadata),
    /// unspecified and multicast addresses only when the rule lists a network holding them.
    /// </summary>
    public bool MayConnect(IPAddress address)
    {
        address = Judged(address);
        return !IsReserved(address) || _reservedAllowed.Any(n => n.Contains(address));
    }

    /// <summary>
    /// The address the rules judge: an IPv4-mapped address as IPv4, and without an IPv6 scope id, which names an
    /// interface, not another address (IPAddress equality compares it, so "fd00:ec2::254%1" would not equal the
    /// metadata address).
    /// </summary>
    private static IPAddress Judged(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
        : address;

    /// <summary>Cloud metadata services outside the link-local range (AWS over IPv6, Alibaba Cloud).</summary>
    private static readonly IPAddress[] MetadataAddresses = [IPAddress.Parse("fd00:ec2::254"), IPAddress.Parse("100.100.100.200")];

    /// <summary>IPv6 prefixes that carry an IPv4 address (NAT64 64:ff9b::/96 in the last 4 bytes; 6to4 2002::/16 in bytes 2–5).</summary>
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Ipv4Compatible = IPNetwork.Parse("::/96");

    internal static bool IsReserved(IPAddress address)
    {
        address = Judged(address);
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast)
            || MetadataAddresses.Contains(address))
        {
            return true;
        }

        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return bytes[0] == 0 || (bytes[0] == 169 && bytes[1] == 254) || bytes[0] >= 224;
        }

        // An IPv4 address tunnelled in IPv6 is judged as that IPv4 address.
        if (Nat64.Contains(address) || Ipv4Compatible.Contains(address))
        {
            return IsReserved(new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (SixToFour.Contains(address))
        {
            return IsReserved(new IPAddress(bytes.AsSpan(2, 4)));
        }

        return address.IsIPv6LinkLocal || address.IsIPv6Multicast || address.IsIPv6SiteLocal;
    }
}
