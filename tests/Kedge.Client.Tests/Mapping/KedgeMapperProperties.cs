using CsCheck;
using Kedge.Client.Mapping;
using Kedge.Testing;

namespace Kedge.Client.Tests.Mapping;

/// <summary>
/// The mappers against reference models written here from their documentation, on generated hosts: a result, null,
/// or a documented exception (<see cref="KedgeMappingException"/> for IP literals and for names that cannot build a
/// kedge host), never another exception and never a kedge URL on a host other than the model's.
/// </summary>
public sealed class KedgeMapperProperties
{
    private const string LabelCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

    private static readonly Gen<string> Label = Gen.Frequency(
        (8, Gen.OneOf("a", "B", "us1", "kedge", "KEDGE", "clusters", "local", "svc", "x_y", "1", "0x1f")),
        (2, Gen.String[Gen.Char[LabelCharacters], 0, 5]),
        (1, Gen.String[Gen.Char["a@/#?:%[] \u00e9\\"], 1, 4]));

    private static readonly Gen<string> Host = Gen.Select(Label.Array[1, 6], Gen.Frequency((9, Gen.Const(() => string.Empty)), (1, Gen.Const(() => "."))))
        .Select(t => string.Join('.', t.Item1) + t.Item2);

    private static readonly Gen<int?> Port = Gen.Frequency((1, Gen.Const(() => (int?)null)), (3, Gen.Int[0, 65535].Select(p => (int?)p)));

    [Fact]
    public void Suffix_AnyHost_AgreesWithTheModel()
    {
        var pattern = Gen.OneOf("*.kedge", "*.*.clusters.local", "*.a.*.kedge", "*.svc");
        Gen.Select(pattern, Gen.OneOf(".kedge.example.com", ".example.com:8443"), Host, Port).Sample(
            (pattern, suffix, host, port) =>
            {
                var mapper = KedgeMapper.Suffix(pattern, suffix);

                var outcome = Outcome(() => mapper.Map(host, port));

                Assert.Equal(SuffixModel(pattern, suffix, host), outcome);
            },
            iter: PropertyRuns.Iterations(10_000),
            print: t => $"Suffix('{t.Item1}', '{t.Item2}').Map('{t.Item3}', {t.Item4})");
    }

    [Fact]
    public void Regex_AnyHost_AgreesWithTheModel()
    {
        // The group may capture anything up to the dot, so the model must refuse what is not one DNS label.
        var mapper = KedgeMapper.Regex(@"^(?<svc>[^.]+)\.(?<cluster>[^.]*)\.kedge(:[0-9]+)?$", "https://${cluster}.kedge.example.com");
        Gen.Select(Host, Port).Sample(
            (host, port) =>
            {
                var outcome = Outcome(() => mapper.Map(host, port));

                var input = port is null ? host : $"{host}:{port}";
                var match = System.Text.RegularExpressions.Regex.Match(input, @"^(?<svc>[^.]+)\.(?<cluster>[^.]*)\.kedge(:[0-9]+)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
                var expected = host.Length == 0 ? "no host"
                    : IsIpLiteralModel(host) ? "mapping error"
                    : !match.Success ? "null"
                    : match.Groups["cluster"].Value is var cluster && !IsLabel(cluster) ? "mapping error"
                    : $"https://{cluster.ToLowerInvariant()}.kedge.example.com/";
                Assert.Equal(expected, outcome);
            },
            iter: PropertyRuns.Iterations(10_000),
            print: t => $"Map('{t.Item1}', {t.Item2})");
    }

    [Fact]
    public void Direct_AnyHost_AgreesWithTheModel()
    {
        var keyHost = Gen.OneOf("legacy.internal", "LEGACY.internal", "db", "db.", "a.b.c");
        var key = Gen.Select(keyHost, Gen.OneOf<int?>(null, 80, 8080)).Select(t => (t.Item1, t.Item2));
        Gen.Select(key.Array[0, 4], Gen.OneOf(keyHost, Host), Gen.OneOf<int?>(null, 80, 8080, 9090)).Sample(
            (keys, host, port) =>
            {
                var unique = keys.DistinctBy(k => (k.Item1.TrimEnd('.').ToLowerInvariant(), k.Item2)).ToArray();
                var routes = unique.Select((k, i) => KeyValuePair.Create(
                    k.Item2 is null ? k.Item1 : $"{k.Item1}:{k.Item2}",
                    new KedgeRoute(new Uri($"https://k{i}.example.com")))).ToList();
                var mapper = KedgeMapper.Direct(routes);

                var outcome = Outcome(() => mapper.Map(host, port));

                bool SameHost(string a) => string.Equals(a.TrimEnd('.'), host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
                var withPort = port is null ? -1 : Array.FindIndex(unique, k => k.Item2 == port && SameHost(k.Item1));
                var hostOnly = Array.FindIndex(unique, k => k.Item2 is null && SameHost(k.Item1));
                var index = withPort >= 0 ? withPort : hostOnly;
                var expected = host.Length == 0 ? "no host" : IsIpLiteralModel(host) ? "mapping error" : index < 0 ? "null" : $"https://k{index}.example.com/";
                Assert.Equal(expected, outcome);
            },
            iter: PropertyRuns.Iterations(10_000));
    }

    /// <summary>What a mapping gave: the kedge URL, "null", "mapping error" or "no host"; any other exception fails the property.</summary>
    private static string Outcome(Func<KedgeRoute?> map)
    {
        try
        {
            return map()?.KedgeUrl.ToString() ?? "null";
        }
        catch (KedgeMappingException)
        {
            return "mapping error";
        }
        catch (ArgumentException ex) when (ex.ParamName == "host")
        {
            return "no host";
        }
    }

    /// <summary>
    /// Go's suffix mapper: the labels the pattern's '*'s capture, compared from the right, build the kedge host; a
    /// captured label must be one DNS label (letters, digits, '-', '_'), or the host is not one kedge could serve.
    /// </summary>
    private static string SuffixModel(string pattern, string suffix, string host)
    {
        if (host.Length == 0)
        {
            return "no host";
        }

        if (IsIpLiteralModel(host))
        {
            return "mapping error";
        }

        var hostLabels = host.TrimEnd('.').Split('.');
        var patternLabels = pattern.Split('.');
        if (hostLabels.Length < patternLabels.Length)
        {
            return "null";
        }

        var captured = new List<string>();
        var offset = hostLabels.Length - patternLabels.Length;
        for (var i = 0; i < patternLabels.Length; i++)
        {
            var label = hostLabels[offset + i];
            if (patternLabels[i] == "*")
            {
                if (label.Length == 0)
                {
                    return "null";
                }

                captured.Add(label);
            }
            else if (!string.Equals(label, patternLabels[i], StringComparison.OrdinalIgnoreCase))
            {
                return "null";
            }
        }

        return captured.All(IsLabel) ? $"https://{string.Join('.', captured).ToLowerInvariant()}{suffix}/" : "mapping error";
    }

    private static bool IsLabel(string label) => label.Length > 0 && label.All(c => LabelCharacters.Contains(c, StringComparison.Ordinal));

    /// <summary>The documented IP-literal rule: a ':' or '[' (IPv6), or a last label that is a number or starts with 0x (IPv4, as browsers read it).</summary>
    private static bool IsIpLiteralModel(string host)
    {
        if (host.Length == 0)
        {
            return false;
        }

        if (host.Contains(':', StringComparison.Ordinal) || host.StartsWith('['))
        {
            return true;
        }

        var last = host.TrimEnd('.').Split('.')[^1];
        return last.Length > 0 && (last.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || last.All(char.IsAsciiDigit));
    }
}
