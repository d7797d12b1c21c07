using Kedge.Client.Failover;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Client.Tests.Failover;

public sealed class KedgeEjectionsTests
{
    private static readonly KedgeEndpoint A = new(new Uri("https://a.example.com"), "http://a.example.com:443", 0);
    private static readonly KedgeEndpoint B = new(new Uri("https://b.example.com"), "http://b.example.com:443", 1);
    private static readonly KedgeEndpoint C = new(new Uri("https://c.example.com"), "http://c.example.com:443", 2);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ReportFailure_Repeated_BackoffDoublesUpToTheMaximum()
    {
        var ejections = new KedgeEjections(_time, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        var durations = new List<TimeSpan?>();

        for (var i = 0; i < 5; i++)
        {
            var duration = ejections.ReportFailure(A.Authority);
            durations.Add(duration);
            _time.Advance(duration!.Value);
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], durations);
    }

    [Fact]
    public void ReportFailure_WhileEjected_DoesNotExtendTheEjection()
    {
        var ejections = new KedgeEjections(_time);

        Assert.Equal(TimeSpan.FromSeconds(1), ejections.ReportFailure(A.Authority));
        _time.Advance(TimeSpan.FromMilliseconds(500));

        Assert.Null(ejections.ReportFailure(A.Authority));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMilliseconds(500), ejections.EjectedUntil(A.Authority));
    }

    [Fact]
    public void IsEjected_UntilTheTimeIsUp_ThenTheKedgeIsProbed()
    {
        var ejections = new KedgeEjections(_time);
        ejections.ReportFailure(A.Authority);

        Assert.True(ejections.IsEjected(A.Authority));
        Assert.Equal([B, C, A], ejections.Order([A, B, C]));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(ejections.IsEjected(A.Authority));
        Assert.Equal([A, B, C], ejections.Order([A, B, C]));
    }

    [Fact]
    public void ReportSuccess_AfterFailures_BackoffStartsOver()
    {
        var ejections = new KedgeEjections(_time);
        ejections.ReportFailure(A.Authority);
        _time.Advance(TimeSpan.FromSeconds(1));
        ejections.ReportFailure(A.Authority);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(ejections.ReportSuccess(A.Authority));
        Assert.False(ejections.ReportSuccess(A.Authority));
        Assert.Equal(TimeSpan.FromSeconds(1), ejections.ReportFailure(A.Authority));
    }

    [Fact]
    public void Order_EveryKedgeEjected_TheOneBackFirstIsTriedFirst()
    {
        var ejections = new KedgeEjections(_time);
        ejections.ReportFailure(A.Authority);
        _time.Advance(TimeSpan.FromSeconds(1));
        ejections.ReportFailure(A.Authority); // A: 2 s from now
        ejections.ReportFailure(B.Authority); // B: 1 s from now

        Assert.Equal([B, A], ejections.Order([A, B]));
    }

    [Fact]
    public void Order_KedgeWithoutHealthyEndpointForOneTarget_SkippedForThatTargetOnly()
    {
        var ejections = new KedgeEjections(_time);
        ejections.ReportFailure(KedgeEjections.TargetKey(A, "orders:8080"));

        Assert.Equal([B, A], ejections.Order([A, B], "orders:8080"));
        Assert.Equal([A, B], ejections.Order([A, B], "payments:8080"));
        Assert.False(ejections.IsEjected(A.Authority));
    }

    [Fact]
    public void Create_MaximumBelowBase_Refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new KedgeEjections(_time, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
}
