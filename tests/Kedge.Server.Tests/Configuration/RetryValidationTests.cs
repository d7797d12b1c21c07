using Kedge.Server.Configuration;

namespace Kedge.Server.Tests.Configuration;

public sealed class RetryValidationTests
{
    private static List<string> Validate(bool resend, params string[] addresses)
    {
        var options = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "orders", Host = "orders.kedge", ResendIdempotentOnce = resend }],
            HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [.. addresses] } }],
        };
        var errors = new List<string>();
        KedgeServerOptionsValidator.Validate(options, "Kedge", errors);
        return errors;
    }

    [Fact]
    public void Validate_ResendIdempotentOnceWithTwoEndpoints_NoErrors()
    {
        Assert.Empty(Validate(resend: true, "10.0.0.1:80", "10.0.0.2:80"));
    }

    [Fact]
    public void Validate_ResendIdempotentOnceOnOneStaticAddress_ErrorNamesKeyAndFix()
    {
        var error = Assert.Single(Validate(resend: true, "10.0.0.1:80"));

        Assert.StartsWith("Kedge:HttpRoutes:0:ResendIdempotentOnce: backend 'orders' has the one static address 10.0.0.1:80", error, StringComparison.Ordinal);
        Assert.Contains("add addresses or remove ResendIdempotentOnce", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OneStaticAddressWithoutResend_NoErrors()
    {
        Assert.Empty(Validate(resend: false, "10.0.0.1:80"));
    }
}
