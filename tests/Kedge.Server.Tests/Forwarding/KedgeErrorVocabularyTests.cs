using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Core;
using Kedge.Common;

namespace Kedge.Server.Tests.Forwarding;

/// <summary>
/// The error vocabulary (Kedge.Common's <see cref="KedgeErrorKind"/>) against what kedge sends and what the READMEs say:
/// no type defined that kedge's code never reports, and no README table that disagrees with the code.
/// </summary>
public class KedgeErrorVocabularyTests
{
    private const string TableStart = "<!-- error-vocabulary: generated from KedgeErrorKind (src/Kedge.Common); KedgeErrorVocabularyTests fails when they differ -->";
    private const string TableEnd = "<!-- /error-vocabulary -->";

    public static TheoryData<string> Readmes => new() { "README.md", "src/Kedge.Server/README.md", "src/Kedge.Client/README.md" };

    [Fact]
    public void All_EveryTypeKedgeSends_IsReportedBySomeServerCodePath()
    {
        var server = string.Join("\n", Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src", "Kedge.Server"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));

        foreach (var (property, kind) in Kinds())
        {
            var referenced = Regex.IsMatch(server, $@"\bKedgeErrorKind\.{property}\b");
            // Go-only types are listed so Kedge.Client understands a Go kedge; kedge for .NET must not send them.
            Assert.True(referenced != kind.SentByGoKedgeOnly, $"{kind.Name}: {(kind.SentByGoKedgeOnly ? "Go-only, yet kedge's code reports it" : "defined, yet no kedge code reports it")}");
        }
    }

    [Fact]
    public void All_ListsEveryKindOnceWithDistinctNamesAndAnswers()
    {
        Assert.Equal(Kinds().Select(k => k.Kind), KedgeErrorKind.All);
        Assert.Equal(KedgeErrorKind.All.Count, KedgeErrorKind.All.Select(k => k.Name).Distinct().Count());
        Assert.All(KedgeErrorKind.All, k => Assert.Equal(k.Answers.Count, k.Answers.Select(a => a.HttpStatus).Distinct().Count()));
        Assert.All(KedgeErrorKind.All, k => Assert.Same(k, KedgeErrorKind.Find(k.Name)));
        Assert.Null(KedgeErrorKind.Find("no-such-type"));
    }

    [Theory]
    [InlineData(400, StatusCode.InvalidArgument)]
    [InlineData(502, StatusCode.NotFound)]
    [InlineData(500, StatusCode.InvalidArgument)]
    public void GrpcStatusFor_UnknownRouteError_FollowsTheAnswerWithThatHttpStatus(int httpStatus, StatusCode expected)
        => Assert.Equal(expected, KedgeErrorKind.UnknownRouteError.GrpcStatusFor(httpStatus));

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Readme_ErrorTable_IsTheVocabulary(string readme)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), readme)).ReplaceLineEndings("\n");
        var start = text.IndexOf(TableStart, StringComparison.Ordinal);
        var end = text.IndexOf(TableEnd, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{readme} has no error table between '{TableStart}' and '{TableEnd}'");

        var table = text[(start + TableStart.Length)..end].Trim('\n');

        Assert.True(table == Render(), $"{readme}'s error table differs from KedgeErrorKind; replace it with:\n{Render()}");
    }

    /// <summary>The table the READMEs carry: one row per answer of each type.</summary>
    private static string Render()
    {
        var table = new StringBuilder();
        table.Append("| `X-Kedge-Error-Type` | HTTP | gRPC (trailers-only) | when |\n|---|---|---|---|\n");
        foreach (var kind in KedgeErrorKind.All)
        {
            foreach (var answer in kind.Answers)
            {
                table.Append($"| `{kind.Name}` | {answer.HttpStatus} | `{answer.GrpcStatus}` | {answer.When} |\n");
            }
        }

        return table.ToString().TrimEnd('\n');
    }

    private static IEnumerable<(string Property, KedgeErrorKind Kind)> Kinds()
        => typeof(KedgeErrorKind).GetProperties(BindingFlags.Public | BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(KedgeErrorKind))
            .Select(p => (p.Name, (KedgeErrorKind)p.GetValue(null)!))
            .OrderBy(k => KedgeErrorKind.All.ToList().IndexOf(k.Item2));

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kedge.Client.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Kedge.Client.sln not found above " + AppContext.BaseDirectory);
    }
}
