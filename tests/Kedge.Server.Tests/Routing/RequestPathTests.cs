using Kedge.Server.Routing;

namespace Kedge.Server.Tests.Routing;

public class RequestPathTests
{
    [Theory]
    [InlineData("/v1/x")]
    [InlineData("/v1/./x")]
    [InlineData("/v1/../x")]
    [InlineData("/v1/.well-known/x")]
    [InlineData("/v1/...")]
    [InlineData("/v1/a%252Fb")]
    [InlineData("/v1/a%253Bb")]
    [InlineData("/v1/%41%2d")]
    [InlineData("/v1/.%2")]
    [InlineData("/v1/%2")]
    [InlineData("//v1/x")]
    [InlineData("")]
    public void Ambiguity_PlainPath_Null(string rawPath)
    {
        Assert.Null(RequestPath.Ambiguity(rawPath));
    }

    [Theory]
    [InlineData("/v1/..;/admin", "';' path parameter")]
    [InlineData("/v1;a=b/x", "';' path parameter")]
    [InlineData("/v1/..%3B/admin", "';' path parameter")]
    [InlineData("/v1/..%3b/admin", "';' path parameter")]
    [InlineData("/v1/\\..\\admin", "backslash")]
    [InlineData("/v1/%5c..%5Cadmin", "backslash")]
    [InlineData("/v1/..%2Fadmin", "encoded slash")]
    [InlineData("/v1/..%2fadmin", "encoded slash")]
    [InlineData("/v1/%2e%2e/admin", "encoded dot segment")]
    [InlineData("/v1/.%2E/admin", "encoded dot segment")]
    [InlineData("/v1/%2e./admin", "encoded dot segment")]
    [InlineData("/v1/%2e", "encoded dot segment")]
    [InlineData("/v1/%2E/x", "encoded dot segment")]
    public void Ambiguity_AmbiguousPath_Reason(string rawPath, string reason)
    {
        Assert.Contains(reason, RequestPath.Ambiguity(rawPath), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/..;/admin", "/admin")]
    [InlineData("/v1;a=b/x", "/v1/x")]
    [InlineData("/v1/x;jsessionid=1", "/v1/x")]
    [InlineData("/v1/\\..\\admin", "/admin")]
    [InlineData("/v1/..%2Fadmin", "/admin")]
    [InlineData("/v1/a%2fb", "/v1/a/b")]
    [InlineData("/v1//../admin", "/admin")]
    [InlineData("/v1/x/", "/v1/x/")]
    [InlineData("/", "/")]
    public void Lenient_ResolvesAsTheMostLenientBackend(string path, string expected)
    {
        Assert.Equal(expected, RequestPath.Lenient(path));
    }
}
