using Kedge.Server.Authorization;

namespace Kedge.Server.Tests.Authorization;

public class ClientIdentityRequirementTests
{
    [Theory]
    [InlineData("spiffe://cluster-a/ns/payments/*", "spiffe://cluster-a/ns/payments/api", true)]
    [InlineData("spiffe://cluster-a/ns/payments/*", "spiffe://cluster-a/ns/payments/", true)]
    [InlineData("spiffe://cluster-a/ns/payments/*", "spiffe://cluster-a/ns/paymentsX/api", false)]
    [InlineData("spiffe://cluster-a/ns/payments/*", "spiffe://cluster-b/ns/payments/api", false)]
    [InlineData("spiffe://*/ns/payments/*", "spiffe://cluster-b/ns/payments/api", true)]
    [InlineData("spiffe://*/ns/payments/*", "spiffe://cluster-b/ns/orders/api", false)]
    [InlineData("caller", "caller", true)]
    [InlineData("caller", "caller2", false)]
    [InlineData("a*a", "a", false)]
    [InlineData("a*a", "aa", true)]
    [InlineData("*.payments.cluster-a", "api.payments.cluster-a", true)]
    [InlineData("*.payments.cluster-a", "payments.cluster-a", false)]
    public void Matches_Pattern_StarIsAnyRun(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, ClientIdentityRequirement.Matches(pattern, value, StringComparison.Ordinal));
    }
}
