using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Kedge.GoCompat.Jsonpb;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
using Kedge.Testing;

namespace Kedge.Server.Tests.Configuration.Go;

/// <summary>
/// The jsonpb reader on generated input: arbitrary JSON, arbitrary text and mutated valid configs give either options
/// or errors in the list, never an exception; a generated valid Go config translates to the options it describes, and
/// those options survive <see cref="NativeConfigWriter"/> and the configuration binder.
/// </summary>
public sealed class GoConfigReaderProperties
{
    private static readonly string[] FieldNames = new[]
    {
        GoConfigSchema.DirectorConfig, GoConfigSchema.DirectorGrpc, GoConfigSchema.DirectorHttp, GoConfigSchema.HttpRoute,
        GoConfigSchema.GrpcRoute, GoConfigSchema.Adhoc, GoConfigSchema.AdhocPort, GoConfigSchema.AdhocPortRange,
        GoConfigSchema.AdhocReplace, GoConfigSchema.BackendPoolConfig, GoConfigSchema.BackendPoolGrpc,
        GoConfigSchema.BackendPoolHttp, GoConfigSchema.TlsServerConfig, GoConfigSchema.HttpBackend, GoConfigSchema.GrpcBackend,
        GoConfigSchema.HttpSecurity, GoConfigSchema.GrpcInterceptor, GoConfigSchema.SrvResolver, GoConfigSchema.K8sResolver,
        GoConfigSchema.HostResolver,
    }.SelectMany(t => t.Fields).SelectMany(f => new[] { f, JsonpbMessageType.ToJsonName(f) }).Distinct().ToArray();

    /// <summary>Strings as JSON text, with escapes: control characters, quotes, lone surrogates, non-ASCII.</summary>
    private static readonly Gen<string> JsonString = Gen.OneOf(
        Gen.String[0, 10].Select(Quote),
        Gen.String[Gen.Char["ab_.:-*/ \u00e9\u4e2d"], 0, 8].Select(Quote),
        Gen.OneOf("\"\\ud800\"", "\"a\\udc00b\"", "\"\\u0000\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\ud83d\\ude00\"", "\"8080\"", "\"08080\"", "\"-1\"", "\"\"", "\"REVERSE_PROXY\"", "\"1e3\""));

    private static readonly Gen<string> JsonNumber = Gen.OneOf(
        Gen.Int[-70_000, 70_000].Select(i => i.ToString(CultureInfo.InvariantCulture)),
        Gen.OneOf("0", "-0", "1.5", "1e3", "1E+400", "-1e-400", "99999999999999999999999", "65535", "65536", "4294967296", "0.0", "2"));

    private static readonly Gen<string> JsonScalar = Gen.Frequency(
        (4, JsonString), (3, JsonNumber), (1, Gen.OneOf("true", "false", "null")));

    private static readonly Gen<string> JsonKey = Gen.Frequency(
        (6, Gen.OneOf(FieldNames).Select(Quote)),
        (1, JsonString));

    private static readonly Gen<string> AnyJson = JsonValue(4);

    [Fact]
    public void Translate_AnyJson_GivesOptionsOrErrorsNeverAnException()
    {
        Gen.Select(AnyJson, Gen.Int[0, 2]).Sample(
            (json, slot) => TranslateReportsEveryFailure(json, slot),
            iter: PropertyRuns.Iterations(4_000),
            print: t => t.Item1);
    }

    [Fact]
    public void Translate_AnyText_GivesOptionsOrErrorsNeverAnException()
    {
        Gen.Select(Gen.OneOf(Gen.String[0, 30], Gen.String[Gen.Char["{}[]\":,0123456789.-+eEtruefalsn \\u"], 0, 30]), Gen.Int[0, 2]).Sample(
            (text, slot) => TranslateReportsEveryFailure(text, slot),
            iter: PropertyRuns.Iterations(4_000),
            print: t => t.Item1);
    }

    [Fact]
    public void Translate_MutatedValidConfig_GivesOptionsOrErrorsNeverAnException()
    {
        var mutated =
            from config in GoConfigs.Config
            from director in Gen.Bool
            from count in Gen.Int[1, 3]
            from mutations in Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 4], AnyJson, JsonKey).Array[count]
            select Mutate(director ? config.Director : config.Pool, mutations).ToString();
        Gen.Select(mutated, Gen.Int[0, 2]).Sample(
            (json, slot) => TranslateReportsEveryFailure(json, slot),
            iter: PropertyRuns.Iterations(1_200),
            print: t => t.Item1);
    }

    [Fact]
    public void Translate_GoConfig_GivesTheOptionsItDescribes_AndTheNativeWriterRoundTripsWhatIsValid()
    {
        var iterations = PropertyRuns.Iterations(1_000);
        var validated = 0;
        GoConfigs.Config.Sample(
            config =>
            {
                var errors = new List<string>();

                var options = GoConfigReader.Translate(config.Director.ToString(), config.Pool.ToString(), errors);

                Assert.Empty(errors);
                Assert.NotNull(options);
                var native = NativeConfigWriter.ToNativeJson(options);
                Assert.Equal(NativeConfigWriter.ToNativeJson(config.Expected), native);
                var invalid = new List<string>();
                KedgeServerOptionsValidator.Validate(options, NativeConfigWriter.SectionName, invalid);
                if (invalid.Count == 0)
                {
                    // What kedge accepts, --print-config prints so that it reads back the same.
                    Assert.Equal(Canonical(options), Canonical(NativeConfigWriterTests.Bind(native)));
                    Interlocked.Increment(ref validated);
                }
            },
            iter: iterations,
            print: config => $"director: {config.Director}\nbackendpool: {config.Pool}");

        // The generator aims at valid configs; if it stopped producing them, the round trip would test nothing.
        Assert.True(validated >= iterations / 10, $"only {validated} of {iterations} generated configs were valid");
    }

    /// <summary>The native JSON with map keys in one order: the binder reads them sorted, and their order means nothing.</summary>
    private static string Canonical(KedgeServerOptions options)
    {
        foreach (var route in options.HttpRoutes)
        {
            route.Headers = new(route.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
        }

        foreach (var route in options.GrpcRoutes)
        {
            route.Metadata = new(route.Metadata.OrderBy(h => h.Key, StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
        }

        return NativeConfigWriter.ToNativeJson(options);
    }

    /// <summary>The text as the director config (slot 0), the backendpool config (1) or both (2).</summary>
    private static void TranslateReportsEveryFailure(string text, int slot)
    {
        var errors = new List<string> { "an earlier error" };

        var options = GoConfigReader.Translate(slot != 1 ? text : null, slot != 0 ? text : null, errors);

        Assert.Equal(options is null, errors.Count > 1);
        Assert.All(errors.Skip(1), e => Assert.Matches("^(director config|backendpool config)[:]", e));
        if (options is not null)
        {
            _ = NativeConfigWriter.ToNativeJson(options);
        }
    }

    private static Gen<string> JsonValue(int depth) => depth == 0
        ? JsonScalar
        : Gen.Frequency(
            (3, JsonScalar),
            (1, JsonValue(depth - 1).Array[0, 3].Select(items => "[" + string.Join(",", items) + "]")),
            (2, Gen.Select(JsonKey, JsonValue(depth - 1)).Array[0, 4].Select(members => "{" + string.Join(",", members.Select(m => m.Item1 + ":" + m.Item2)) + "}")));

    /// <summary>
    /// Applies each mutation at a node chosen by the first number: replace it by any JSON (kind 0, 1), delete it (2),
    /// rename it (3) or duplicate it (4), which also breaks the "one field once" rule.
    /// </summary>
    private static JsonTree Mutate(JsonTree root, (int, int, string, string)[] mutations)
    {
        foreach (var (at, kind, replacement, key) in mutations)
        {
            var nodes = root.Nodes().ToList();
            var target = nodes[at % nodes.Count];
            root = root.Rewrite(target, kind switch
            {
                0 or 1 => _ => [(null, new JsonTree.Raw(replacement))],
                2 => _ => [],
                3 => name => [(name is null ? null : key, target)],
                _ => name => [(name, target), (name, target)],
            });
        }

        return root;
    }

    internal static string Quote(string text) => JsonSerializer.Serialize(text);
}
