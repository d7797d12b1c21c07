using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;

namespace Kedge.Server.Tests.Configuration;

public sealed class KedgeServerOptionsValidatorTests
{
    private static List<string> Validate(KedgeServerOptions options)
    {
        var errors = new List<string>();
        KedgeServerOptionsValidator.Validate(options, "Kedge", errors);
        return errors;
    }

    private static KedgeServerOptions WithBackends() => new()
    {
        HttpBackends = { new BackendOptions { Name = "web", Host = new HostResolverOptions { DnsName = "web.local", Port = 80 } } },
        GrpcBackends = { new BackendOptions { Name = "users", Host = new HostResolverOptions { DnsName = "users.local", Port = 80 } } },
    };

    // Found by GoConfigReaderProperties: a Go header_matcher key such as "x:env" was accepted, can never match a request
    // (no header name holds ':'), and --print-config wrote it as a key the configuration binder splits into sections, so
    // the printed config read back without the condition: a route that matched nothing then matched everything.
    [Theory]
    [InlineData("x:env")]
    [InlineData("")]
    [InlineData("x env")]
    [InlineData("caf\u00e9")]
    public void Validate_HeaderMatcherNotAHeaderName_Refused(string name)
    {
        var options = WithBackends();
        options.HttpRoutes.Add(new HttpRouteOptions { Backend = "web", Headers = { [name] = "prod" } });
        options.GrpcRoutes.Add(new GrpcRouteOptions { Backend = "users", Metadata = { [name] = "acme" } });

        var errors = Validate(options);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith($"Kedge:HttpRoutes:0:Headers: '{name}' is not a header name", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"Kedge:GrpcRoutes:0:Metadata: '{name}' is not a metadata key", errors[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-Env")]
    [InlineData("x-tenant_id.v2")]
    [InlineData("!#$%&'*+-.^_`|~09azAZ")]
    public void Validate_HeaderMatcherHeaderName_Accepted(string name)
    {
        var options = WithBackends();
        options.HttpRoutes.Add(new HttpRouteOptions { Backend = "web", Headers = { [name] = "prod" } });
        options.GrpcRoutes.Add(new GrpcRouteOptions { Backend = "users", Metadata = { [name] = "acme" } });

        Assert.Empty(Validate(options));
    }

    [Fact]
    public void Validate_GoHeaderMatcherWithColon_RefusedAfterTranslation()
    {
        var errors = new List<string>();
        var options = GoConfigReader.Translate(
            """{"grpc":{},"http":{"routes":[{"backend_name":"web","header_matcher":{"x:env":"prod"}}]}}""",
            """{"grpc":{},"http":{"backends":[{"name":"web","host":{"dns_name":"web.local","port":80}}]}}""",
            errors);
        Assert.Empty(errors);

        KedgeServerOptionsValidator.Validate(options!, "Kedge", errors);

        Assert.Contains(errors, e => e.StartsWith("Kedge:HttpRoutes:0:Headers: 'x:env'", StringComparison.Ordinal));
    }
}
