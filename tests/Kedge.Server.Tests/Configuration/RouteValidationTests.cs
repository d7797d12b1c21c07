using Kedge.Server.Configuration;

namespace Kedge.Server.Tests.Configuration;

public class RouteValidationTests
{
    private static List<string> Validate(HttpRouteOptions route)
    {
        var errors = new List<string>();
        KedgeServerOptionsValidator.Validate(
            new KedgeServerOptions { HttpRoutes = [route], HttpBackends = [new() { Name = "b1", Static = new() { Addresses = ["10.0.0.1:80"] } }] },
            "Kedge",
            errors);
        return errors;
    }

    [Fact]
    public void Validate_AllowAmbiguousPathsWithoutPathRules_ErrorNamesKeyAndFix()
    {
        var errors = Validate(new HttpRouteOptions { Backend = "b1", AllowAmbiguousPaths = true });

        var error = Assert.Single(errors);
        Assert.StartsWith("Kedge:HttpRoutes:0:AllowAmbiguousPaths: applies only to a route with PathRules", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AllowAmbiguousPathsWithPathRules_Valid()
    {
        Assert.Empty(Validate(new HttpRouteOptions { Backend = "b1", PathRules = ["/v1/*"], AllowAmbiguousPaths = true }));
    }
}
