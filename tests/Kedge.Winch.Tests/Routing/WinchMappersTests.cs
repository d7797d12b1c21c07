using Kedge.Testing;
using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Routing;

namespace Kedge.Winch.Tests.Routing;

public sealed class WinchMappersTests
{
    private static (WinchMappers? Mappers, List<string> Errors) Build(string mapper, string auth = "{}")
    {
        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings(["--server_mapper_config=" + mapper, "--server_auth_config=" + auth], errors);
        Assert.Empty(errors);
        using var http = new HttpClient();
        using var logs = new TestLogSink();
        var factory = new AuthSourceFactory(settings!.Config.AuthSources, new WinchAuthContext(TimeProvider.System, http, logs.CreateLogger("test"), TimeSpan.FromSeconds(5)));
        return (WinchMappers.Build(settings.Config.Routes, factory, errors), errors);
    }

    [Fact]
    public void Build_RoutesInOrderSplitByProtocol_FirstMatchWins()
    {
        var (mappers, _) = Build("""
            {"routes": [
              {"direct": {"key": "a.internal:8080", "url": "https://kedge-1.example.com"}, "protocol": "HTTP"},
              {"regexp": {"exp": "^(?P<svc>[a-z]+)\\.(?P<cluster>[a-z0-9-]+)\\.internal", "url": "https://kedge.${cluster}.example.com:4443"}},
              {"direct": {"key": "b.c1.internal", "url": "https://never.example.com"}}
            ]}
            """);

        Assert.Equal(new Uri("https://kedge-1.example.com"), mappers!.Http.Map("A.internal", 8080)!.KedgeUrl);
        Assert.Equal(new Uri("https://kedge.c1.example.com:4443"), mappers.Grpc.Map("a.c1.internal", 8080)!.KedgeUrl);
        Assert.Equal(new Uri("https://kedge.c1.example.com:4443"), mappers.Http.Map("b.c1.internal", null)!.KedgeUrl);
        Assert.Null(mappers.Http.Map("other.example.com", null));
        Assert.Equal((3, 2), (mappers.HttpRouteCount, mappers.GrpcRouteCount));
    }

    [Fact]
    public void Build_RegexpErrorsAndUrlWithPath_ReportedWithRoutePath()
    {
        var (mappers, errors) = Build("""
            {"routes": [
              {"regexp": {"exp": "^(unclosed", "url": "https://k.example.com"}},
              {"regexp": {"exp": "^(?P<a>x)$", "url": "https://${b}.example.com"}},
              {"direct": {"key": "d.internal", "url": "https://k.example.com/api"}}
            ]}
            """);

        Assert.Null(mappers);
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("mapper config: $.routes[0].regexp: The regexp pattern '^(unclosed' does not compile", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("mapper config: $.routes[1].regexp: The URL template 'https://${b}.example.com' uses '${b}'", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("mapper config: $.routes[2].direct: The kedge URL 'https://k.example.com/api' must not have a path", errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Build_DirectRouteWithFallbackUrls_RouteNamesEveryKedgeInOrder()
    {
        var (mappers, _) = Build("""
            {"routes": [{"direct": {"key": "orders.internal", "url": "https://kedge-b.example.com", "fallback_urls": ["https://kedge-c.example.com", "https://kedge-d.example.com:4443"]}}]}
            """);

        var route = mappers!.Http.Map("orders.internal", null)!;

        Assert.Equal([new Uri("https://kedge-b.example.com"), new Uri("https://kedge-c.example.com"), new Uri("https://kedge-d.example.com:4443")], route.KedgeUrls);
    }

    [Fact]
    public void Build_BadFallbackUrls_ReportedWithTheirPath()
    {
        var errors = new List<string>();
        WinchCommand.ReadSettings(["--server_mapper_config=" + """{"routes": [{"direct": {"key": "a.internal", "url": "https://b.example.com", "fallback_urls": ["not a url"]}}]}"""], errors);
        var (mappers, mapperErrors) = Build("""
            {"routes": [{"direct": {"key": "a.internal", "url": "https://b.example.com", "fallback_urls": ["http://c.example.com"]}}]}
            """);

        Assert.StartsWith("mapper config (--server_mapper_config): $.routes[0].direct.fallback_urls[0]: \"not a url\" is not a URL", Assert.Single(errors), StringComparison.Ordinal);
        Assert.Null(mappers);
        Assert.StartsWith("mapper config: $.routes[0].direct: The fallback kedge URL 'http://c.example.com/' uses http", Assert.Single(mapperErrors), StringComparison.Ordinal);
    }
}
