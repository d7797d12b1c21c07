using System.Text;

namespace Kedge.FunctionalTests.Deploy;

/// <summary>
/// The series names and labels a PromQL expression refers to: each selector with its label matchers, and the labels of
/// its <c>by</c>/<c>without</c>/<c>on</c>/<c>ignoring</c>/<c>group_left</c>/<c>group_right</c> clauses. A scanner, not a
/// parser: whether the expression is valid PromQL is promtool's job; this finds every name it uses. Grafana variables
/// (<c>$route</c>, <c>[$__rate_interval]</c>) may appear in strings and ranges.
/// </summary>
internal sealed class PromQlReferences
{
    private static readonly HashSet<string> GroupingKeywords = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right" };
    // Aggregation operators may be followed by their clause before the parenthesis: sum by (route) (…).
    private static readonly HashSet<string> Aggregations = new(StringComparer.Ordinal) { "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio" };
    private static readonly HashSet<string> OperatorKeywords = new(StringComparer.Ordinal) { "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan" };

    private PromQlReferences(List<(string Series, List<(string Label, string Op, string Value)> Matchers)> selectors, List<string> groupingLabels)
    {
        Selectors = selectors;
        GroupingLabels = groupingLabels;
    }

    /// <summary>Each series selector: the series name and its label matchers.</summary>
    public IReadOnlyList<(string Series, List<(string Label, string Op, string Value)> Matchers)> Selectors { get; }

    /// <summary>Labels named in grouping and vector-matching clauses.</summary>
    public IReadOnlyList<string> GroupingLabels { get; }

    public static PromQlReferences Scan(string expression)
    {
        var selectors = new List<(string, List<(string, string, string)>)>();
        var grouping = new List<string>();
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '"' or '\'' or '`')
            {
                ReadString(expression, ref i);
            }
            else if (c == '[')
            {
                // A range or subquery ([5m], [$__rate_interval], [1h:1m]): no names inside.
                i = expression.IndexOf(']', i) is var end and >= 0 ? end + 1 : throw Fail(expression, i, "unclosed '['");
            }
            else if (c == '$')
            {
                // A Grafana variable outside a string: $name or ${name}.
                i++;
                if (i < expression.Length && expression[i] == '{')
                {
                    i = expression.IndexOf('}', i) + 1;
                }
                else
                {
                    ReadIdentifier(expression, ref i);
                }
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < expression.Length && char.IsAsciiDigit(expression[i + 1])))
            {
                // A number or a duration (0.99, 86400, 5m, 1e3): letters directly after digits belong to it.
                while (i < expression.Length && (char.IsAsciiLetterOrDigit(expression[i]) || expression[i] == '.'))
                {
                    i++;
                }
            }
            else if (c == '{')
            {
                throw Fail(expression, i, "a selector without a series name");
            }
            else if (IsIdentifierStart(c))
            {
                var name = ReadIdentifier(expression, ref i);
                var next = SkipSpace(expression, i);
                var isCall = next < expression.Length && expression[next] == '(';
                if (GroupingKeywords.Contains(name))
                {
                    if (isCall)
                    {
                        i = next + 1;
                        grouping.AddRange(ReadLabelList(expression, ref i));
                    }
                }
                else if (!isCall && !OperatorKeywords.Contains(name) && !Aggregations.Contains(name))
                {
                    var matchers = new List<(string, string, string)>();
                    if (next < expression.Length && expression[next] == '{')
                    {
                        i = next + 1;
                        matchers = ReadMatchers(expression, ref i);
                    }

                    selectors.Add((name, matchers));
                }

                // Otherwise a function or aggregation name (rate, sum, histogram_quantile, time): not a series.
            }
            else
            {
                i++;
            }
        }

        return new PromQlReferences(selectors, grouping);
    }

    private static List<string> ReadLabelList(string expression, ref int i)
    {
        var labels = new List<string>();
        while (true)
        {
            i = SkipSpace(expression, i);
            if (i >= expression.Length)
            {
                throw Fail(expression, i, "unclosed label list");
            }

            if (expression[i] == ')')
            {
                i++;
                return labels;
            }

            if (expression[i] == ',')
            {
                i++;
                continue;
            }

            labels.Add(ReadIdentifier(expression, ref i));
        }
    }

    private static List<(string, string, string)> ReadMatchers(string expression, ref int i)
    {
        var matchers = new List<(string, string, string)>();
        while (true)
        {
            i = SkipSpace(expression, i);
            if (i >= expression.Length)
            {
                throw Fail(expression, i, "unclosed '{'");
            }

            if (expression[i] == '}')
            {
                i++;
                return matchers;
            }

            if (expression[i] == ',')
            {
                i++;
                continue;
            }

            var label = ReadIdentifier(expression, ref i);
            i = SkipSpace(expression, i);
            var op = expression.AsSpan(i).StartsWith("=~") || expression.AsSpan(i).StartsWith("!~") || expression.AsSpan(i).StartsWith("!=")
                ? expression.Substring(i, 2)
                : expression[i] == '=' ? "=" : throw Fail(expression, i, "expected a matcher operator");
            i = SkipSpace(expression, i + op.Length);
            matchers.Add((label, op, ReadString(expression, ref i)));
        }
    }

    private static string ReadString(string expression, ref int i)
    {
        var quote = expression[i];
        if (quote is not ('"' or '\'' or '`'))
        {
            throw Fail(expression, i, "expected a string");
        }

        var value = new StringBuilder();
        for (i++; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == quote)
            {
                i++;
                return value.ToString();
            }

            if (c == '\\' && quote != '`' && i + 1 < expression.Length)
            {
                c = expression[++i];
            }

            value.Append(c);
        }

        throw Fail(expression, i, "unclosed string");
    }

    private static string ReadIdentifier(string expression, ref int i)
    {
        var start = i;
        if (i >= expression.Length || !IsIdentifierStart(expression[i]))
        {
            throw Fail(expression, i, "expected a name");
        }

        while (i < expression.Length && (IsIdentifierStart(expression[i]) || char.IsAsciiDigit(expression[i])))
        {
            i++;
        }

        return expression[start..i];
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static int SkipSpace(string expression, int i)
    {
        while (i < expression.Length && char.IsWhiteSpace(expression[i]))
        {
            i++;
        }

        return i;
    }

    private static FormatException Fail(string expression, int at, string what) => new($"{what} at {at} in: {expression}");
}
