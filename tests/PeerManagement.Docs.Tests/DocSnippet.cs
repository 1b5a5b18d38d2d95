using System.Text.RegularExpressions;

namespace PeerManagement.Docs.Tests;

/// <summary>One fenced C# block of a Markdown file, split into its using directives, statements and types.</summary>
public sealed partial record DocSnippet(string Document, int Line, string Code)
{
    /// <summary>The using directives at the top of the block.</summary>
    public IReadOnlyList<string> Usings => [.. Lines().TakeWhile(IsUsingOrBlank).Where(l => l.Length > 0)];

    /// <summary>
    /// A block that opens with using directives is a whole file, compiled with only its own usings and the SDK's
    /// implicit ones; any other block is a fragment of a file whose usings the text around it has given.
    /// </summary>
    public bool IsWholeFile => Usings.Count > 0;

    /// <summary>Whether the block is an ASP.NET Core program (the Web SDK's implicit usings apply).</summary>
    public bool IsWeb => Code.Contains("WebApplication", StringComparison.Ordinal);

    /// <summary>The statements, with the line of the Markdown file they start on.</summary>
    public (string Text, int Line) Statements
    {
        get
        {
            var lines = Lines();
            var start = lines.TakeWhile(IsUsingOrBlank).Count();
            var end = TypesStart(lines);
            return (string.Join('\n', lines[start..end]), Line + 1 + start);
        }
    }

    /// <summary>The type declarations that follow the statements, with the line they start on.</summary>
    public (string Text, int Line) Types
    {
        get
        {
            var lines = Lines();
            var start = Math.Max(TypesStart(lines), lines.TakeWhile(IsUsingOrBlank).Count());
            return (string.Join('\n', lines[start..]), Line + 1 + start);
        }
    }

    /// <summary>Where the snippet is, as <c>path:line</c> (the line of its opening fence).</summary>
    public override string ToString() => $"{Document}:{Line}";

    /// <summary>Reads every <c>```csharp</c> block of a Markdown text.</summary>
    public static IEnumerable<DocSnippet> Read(string document, string markdown)
    {
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!OpeningFence().IsMatch(lines[i]))
            {
                continue;
            }

            var opening = i;
            var body = new List<string>();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                body.Add(lines[i].TrimEnd('\r'));
            }

            yield return new DocSnippet(document, opening + 1, string.Join('\n', body));
        }
    }

    private string[] Lines() => Code.Split('\n');

    private static bool IsUsingOrBlank(string line) => line.Trim().Length == 0 || UsingDirective().IsMatch(line);

    private static int TypesStart(string[] lines)
    {
        var index = Array.FindIndex(lines, l => TypeDeclaration().IsMatch(l));
        if (index < 0)
        {
            return lines.Length;
        }

        // Doc comments and attributes right above the declaration belong to it.
        while (index > 0 && (lines[index - 1].StartsWith("///", StringComparison.Ordinal) || lines[index - 1].StartsWith('[')))
        {
            index--;
        }

        return index;
    }

    [GeneratedRegex(@"^\s*```(csharp|cs|c#)\s*$")]
    private static partial Regex OpeningFence();

    [GeneratedRegex(@"^using\s+(static\s+)?[A-Za-z_][\w.]*\s*(=\s*[\w.<>]+\s*)?;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^((public|internal|file)\s+)?((sealed|static|abstract|partial|readonly)\s+)*(class|record|struct|interface|enum)\s")]
    private static partial Regex TypeDeclaration();
}
