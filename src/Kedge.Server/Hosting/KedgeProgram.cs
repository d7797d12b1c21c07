namespace Kedge.Server.Hosting;

/// <summary>The <c>kedge</c> command line.</summary>
public static class KedgeProgram
{
    /// <summary>Runs kedge until it is stopped; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Console.Error.WriteLine("kedge: the server is not wired up yet.");
        return Task.FromResult(2);
    }
}
