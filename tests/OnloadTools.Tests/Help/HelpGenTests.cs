using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;
using CsCheck;
using OnloadTools.HelpGen;

namespace OnloadTools.Tests.Help;

/// <summary>HelpGen: the markdown parser, the metadata reader, the about topic and the command line.</summary>
public class HelpGenTests
{
    private const string GoodPage = """
        # Get-Thing

        ## SYNOPSIS
        Gets `things` from the **host**.

        ## SYNTAX
        ```powershell
        Get-Thing [[-Name] <String[]>] [-Force] [<CommonParameters>]
        ```

        ## DESCRIPTION
        First paragraph
        continues here.

        - item one
        - item two

        ## PARAMETERS

        ### -Name
        Names of things. Default: all.

        ### -Force
        Also hidden things.

        ## EXAMPLES

        ### Example 1: All things
        ```powershell
        Get-Thing
        ```
        Lists them.

        ### Example 2: Some things
        ```powershell
        Get-Thing -Name a,b |
            ForEach-Object Name
        ```
        Only a and b.
        Really.

        ## OUTPUTS

        ### OnloadTools.Thing
        One per thing.

        ## NOTES
        Needs root.

        ## RELATED LINKS
        - [about_OnloadTools](about_OnloadTools)
        - Get-Other
        """;

    private static HelpPage Parse(string md, string path = "Get-Thing.md") => MarkdownHelpParser.Parse(md, path);

    private static string Without(string md, string section)
    {
        int start = md.IndexOf("## " + section, StringComparison.Ordinal);
        int end = md.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return md[..start] + (end < 0 ? "" : md[(end + 1)..]);
    }

    [Fact]
    public void A_well_formed_page_is_parsed_into_every_part()
    {
        var p = Parse(GoodPage);
        Assert.Equal("Get-Thing", p.Name);
        Assert.Equal(("Get", "Thing"), (p.Verb, p.Noun));
        Assert.Equal("Gets things from the host.", p.Synopsis);
        Assert.Equal(new[] { "First paragraph continues here.", "- item one", "- item two" }, p.Description);
        Assert.Equal(new[] { "Name", "Force" }, p.Parameters.Select(x => x.Name));
        Assert.Equal("String[]", p.FindParameter("name")!.SyntaxType);
        Assert.Null(p.FindParameter("Force")!.SyntaxType);
        Assert.Equal(2, p.Examples.Count);
        Assert.Equal("Some things", p.Examples[1].Title);
        Assert.Equal("Get-Thing -Name a,b |\n    ForEach-Object Name", p.Examples[1].Code);
        Assert.Equal(new[] { "Only a and b. Really." }, p.Examples[1].Remarks);
        Assert.Equal("OnloadTools.Thing", p.Outputs.Single().TypeName);
        Assert.Equal(new[] { "Needs root." }, p.Notes);
        Assert.Equal(new[] { "about_OnloadTools", "Get-Other" }, p.RelatedLinks.Select(l => l.Text));
    }

    [Theory]
    [InlineData("SYNOPSIS", "SYNOPSIS")]
    [InlineData("EXAMPLES", "EXAMPLES")]
    public void A_page_without_a_required_section_is_rejected_naming_it(string section, string expected)
    {
        var e = Assert.Throws<HelpPageException>(() => Parse(Without(GoodPage, section)));
        Assert.Contains(e.Problems, p => p.Contains(expected) && p.Contains("missing"));
        Assert.Contains("Get-Thing.md", e.Message);
    }

    [Fact]
    public void An_empty_synopsis_an_example_without_code_and_an_unclosed_fence_are_all_reported()
    {
        string md = GoodPage.Replace("Gets `things` from the **host**.", "")
            .Replace("```powershell\nGet-Thing\n```\nLists them.", "Lists them.");
        var e = Assert.Throws<HelpPageException>(() => Parse(md + "\n```powershell\nnever closed"));
        Assert.Contains(e.Problems, p => p.Contains("SYNOPSIS") && p.Contains("empty"));
        Assert.Contains(e.Problems, p => p.Contains("Example 1") && p.Contains("code block"));
        Assert.Contains(e.Problems, p => p.Contains("never closed"));
    }

    [Theory]
    [InlineData("# Get-Thing", "# Get-Other", "does not match the file name")]
    [InlineData("### -Name", "### Name", "must be '### -Name'")]
    [InlineData("### Example 2: Some things", "### Second example", "Example N: title")]
    public void Malformed_pages_fail_with_a_message_saying_what_to_fix(string from, string to, string expected)
    {
        var e = Assert.Throws<HelpPageException>(() => Parse(GoodPage.Replace(from, to)));
        Assert.Contains(e.Problems, p => p.Contains(expected));
    }

    [Theory]
    [InlineData("### Example 2: Some things", "### Example 3: Some things", "numbered")]
    [InlineData("## NOTES", "## REMARKS", "unknown section")]
    [InlineData("### -Force\nAlso hidden things.", "### -Force\n", "has no description")]
    [InlineData("## DESCRIPTION\nFirst paragraph\ncontinues here.\n\n- item one\n- item two\n", "", "DESCRIPTION")]
    public void Blemishes_that_do_not_make_the_help_wrong_are_warnings(string from, string to, string expected)
    {
        string md = GoodPage.Replace(from, to);
        Assert.NotEqual(GoodPage, md);
        var page = Parse(md);
        Assert.Contains(page.Warnings, w => w.Contains(expected));
        Assert.Empty(Parse(GoodPage).Warnings);
    }

    [Fact]
    public void The_parser_never_throws_anything_but_a_HelpPageException()
    {
        Gen.String.Sample(s =>
        {
            try { MarkdownHelpParser.Parse(s, "Get-Fuzz.md"); }
            catch (HelpPageException) { }
        }, iter: 2000);
        Gen.Select(Gen.String, Gen.Int[0, GoodPage.Length]).Sample(t =>
        {
            // Damaged real pages too: a random cut with random text in it.
            string md = GoodPage[..t.Item2] + t.Item1 + GoodPage[t.Item2..];
            try { MarkdownHelpParser.Parse(md, "Get-Thing.md"); }
            catch (HelpPageException) { }
            try { AboutTopicWriter.Convert(md, "about_X.md"); }
            catch (HelpPageException) { }
        }, iter: 2000);
    }

    [Fact]
    public void The_metadata_reader_agrees_with_reflection_for_every_cmdlet_of_the_module()
    {
        var fromMetadata = CmdletMetadataReader.Read(Path.Combine(TestPaths.ModuleDirectory, "OnloadTools.dll"))
            .ToDictionary(c => c.Name);
        var types = typeof(LatencyRun).Assembly.GetTypes().Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null).ToList();
        Assert.NotEmpty(types);
        Assert.Equal(types.Count, fromMetadata.Count);
        foreach (var type in types)
        {
            var attr = type.GetCustomAttribute<CmdletAttribute>()!;
            var c = fromMetadata[$"{attr.VerbName}-{attr.NounName}"];
            Assert.Equal(type.FullName, c.TypeName);
            Assert.Equal(attr.SupportsShouldProcess, c.SupportsShouldProcess);
            Assert.Equal(type.GetCustomAttributes<OutputTypeAttribute>().SelectMany(o => o.Type).Select(t => t.Name).Order(), c.OutputTypes.Order());
            var props = type.GetProperties().Where(p => p.GetCustomAttributes<ParameterAttribute>().Any()).ToList();
            Assert.Equal(props.Select(p => p.Name).Order(), c.Parameters.Select(p => p.Name).Order());
            foreach (var prop in props)
            {
                var m = c.FindParameter(prop.Name)!;
                Assert.Equal((Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType).FullName, m.TypeName);
                Assert.Equal(prop.GetCustomAttributes<AliasAttribute>().SelectMany(a => a.AliasNames), m.Aliases);
                // Sets listed in the attribute (a values-generator type is resolved only at run time: not in help).
                bool literalSet = prop.GetCustomAttributesData().Where(d => d.AttributeType == typeof(ValidateSetAttribute))
                    .All(d => d.ConstructorArguments.All(a => a.ArgumentType != typeof(Type)));
                if (literalSet) Assert.Equal(prop.GetCustomAttributes<ValidateSetAttribute>().SelectMany(a => a.ValidValues), m.ValidValues);
                var sets = prop.GetCustomAttributes<ParameterAttribute>().OrderBy(a => a.ParameterSetName).ToList();
                Assert.Equal(sets.Count, m.Sets.Count);
                foreach (var (a, s) in sets.Zip(m.Sets.OrderBy(x => x.SetName)))
                {
                    Assert.Equal(a.ParameterSetName, s.SetName);
                    Assert.Equal(a.Mandatory, s.Mandatory);
                    Assert.Equal(a.Position >= 0 ? a.Position : null, s.Position);
                    Assert.Equal(a.ValueFromPipeline, s.ValueFromPipeline);
                    Assert.Equal(a.ValueFromPipelineByPropertyName, s.ValueFromPipelineByPropertyName);
                }
            }
        }
    }

    [Theory]
    [InlineData("Runs on the host. Default: none (netperf runs on the host).", "none (netperf runs on the host)")]
    [InlineData("A margin (Double, Default: 5).", "5")]
    [InlineData("Iterations. Default: 5, as in the paper.", "5")]
    [InlineData("The tests. Default: TCP_RR, UDP_RR.", "TCP_RR, UDP_RR")]
    [InlineData("Version. Default: 8.1.2.26. Other text.", "8.1.2.26")]
    [InlineData("Default value: 1.5 µs; more text", "1.5 µs")]
    [InlineData("Default: the image's port (12865 for netserver)", "the image's port (12865 for netserver)")]
    [InlineData("No default here.", null)]
    public void The_default_written_in_a_description_is_read_to_the_end_of_its_sentence(string paragraph, string? expected)
    {
        Assert.Equal(expected, MamlWriter.DefaultText(paragraph));
    }

    [Fact]
    public void The_defaults_read_from_IL_are_what_a_fresh_cmdlet_instance_holds()
    {
        var fromMetadata = CmdletMetadataReader.Read(Path.Combine(TestPaths.ModuleDirectory, "OnloadTools.dll")).ToDictionary(c => c.TypeName);
        int checkedCount = 0;
        foreach (var type in typeof(LatencyRun).Assembly.GetTypes().Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null))
        {
            object fresh = Activator.CreateInstance(type)!;
            foreach (var prop in type.GetProperties().Where(p => p.GetCustomAttributes<ParameterAttribute>().Any()))
            {
                var meta = fromMetadata[type.FullName!].FindParameter(prop.Name)!;
                object? value = prop.GetValue(fresh);
                var propType = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
                bool isTypeDefault = value is null || value is SwitchParameter || value is Array { Length: 0 }
                    || (propType.IsValueType && Nullable.GetUnderlyingType(prop.PropertyType) is null && value.Equals(Activator.CreateInstance(propType)));
                if (isTypeDefault)
                {
                    Assert.True(meta.DefaultValue is null, $"{type.Name}.{prop.Name} has no initializer but HelpGen read '{meta.DefaultValue}'");
                    continue;
                }
                string expected = value is Array a ? string.Join(", ", a.Cast<object>().Select(Text)) : Text(value!);
                Assert.True(expected == meta.DefaultValue, $"{type.Name}.{prop.Name}: fresh instance '{expected}', HelpGen '{meta.DefaultValue}'");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 20, $"only {checkedCount} initialized parameters were found");

        static string Text(object v) => v switch
        {
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => v.ToString()!,
        };
    }

    [Fact]
    public void The_about_topic_gets_the_conventional_layout()
    {
        string text = AboutTopicWriter.Convert("""
            # about_Thing

            ## SHORT DESCRIPTION
            Does `things`.

            ## LONG DESCRIPTION
            Some text.

            ### Step 1
            - one
            - two

            ```powershell
            Get-Thing | ForEach-Object Name
            ```

            | a | b |
            |---|---|
            | 1 | 2 |
            """, "about_Thing.md");
        Assert.StartsWith("TOPIC\n    about_Thing\n\nSHORT DESCRIPTION\n    Does things.\n", text);
        Assert.Contains("LONG DESCRIPTION\n    Some text.\n", text);
        Assert.Contains("  Step 1\n  ------\n", text);
        Assert.Contains("    - one\n    - two\n", text);
        Assert.Contains("        Get-Thing | ForEach-Object Name\n", text);
        Assert.Contains("    a | b\n    1 | 2\n", text);
        Assert.DoesNotContain("```", text);
        Assert.All(text.Split('\n'), l => Assert.True(l.Length <= 80 || l.StartsWith("        "), l));
        var e = Assert.Throws<HelpPageException>(() => AboutTopicWriter.Convert("# about_Thing\n\n## LONG DESCRIPTION\nx\n", "about_Thing.md"));
        Assert.Contains(e.Problems, p => p.Contains("SHORT DESCRIPTION"));
    }

    [Fact]
    public void The_command_line_fails_on_a_malformed_page_and_writes_nothing()
    {
        using var dir = new TempDir();
        string docs = Directory.CreateDirectory(Path.Combine(dir.Path, "cmdlets")).FullName;
        File.WriteAllText(Path.Combine(docs, "Get-Thing.md"), GoodPage);
        File.WriteAllText(Path.Combine(docs, "Get-Broken.md"), Without(GoodPage.Replace("Get-Thing", "Get-Broken"), "SYNOPSIS"));
        string output = Path.Combine(dir.Path, "en-US", "OnloadTools.dll-Help.xml");
        var (code, stdout, stderr) = Run(docs, output, "--assembly", Path.Combine(TestPaths.ModuleDirectory, "OnloadTools.dll"));
        Assert.Equal(1, code);
        Assert.Contains("Get-Broken.md: error HG001: malformed help page: the '## SYNOPSIS' section is missing.", stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void The_command_line_warns_for_cmdlets_without_a_page_and_for_parameters_that_do_not_exist()
    {
        using var dir = new TempDir();
        string docs = Directory.CreateDirectory(Path.Combine(dir.Path, "cmdlets")).FullName;
        string real = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "cmdlets", "Measure-NetperfLatency.md"));
        File.WriteAllText(Path.Combine(docs, "Measure-NetperfLatency.md"),
            real.Replace("## EXAMPLES", "### -NoSuchParameter\nInvented.\n\n## EXAMPLES"));
        string about = Path.Combine(dir.Path, "about_OnloadTools.md");
        File.WriteAllText(about, "# about_OnloadTools\n\n## SHORT DESCRIPTION\nShort.\n");
        string output = Path.Combine(dir.Path, "en-US", "OnloadTools.dll-Help.xml");
        var (code, stdout, _) = Run(docs, output, about, "--assembly", Path.Combine(TestPaths.ModuleDirectory, "OnloadTools.dll"));
        Assert.Equal(0, code);
        Assert.Contains("warning HG102: -NoSuchParameter is documented but Measure-NetperfLatency has no such parameter.", stdout);
        Assert.DoesNotContain("HG005", stdout); // the real page has no blemish
        var cmdletsWithoutPage = typeof(LatencyRun).Assembly.GetTypes().Select(t => t.GetCustomAttribute<CmdletAttribute>())
            .Where(a => a is not null).Select(a => $"{a!.VerbName}-{a.NounName}").Where(n => n != "Measure-NetperfLatency").ToList();
        foreach (string n in cmdletsWithoutPage) Assert.Contains($"warning HG100: {n} has no docs page", stdout);

        var xml = XDocument.Load(output);
        var command = Assert.Single(xml.Root!.Elements(MamlWriter.Command + "command"));
        Assert.Equal("Measure-NetperfLatency", command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "name")!.Value);
        Assert.True(File.Exists(Path.Combine(dir.Path, "en-US", "about_OnloadTools.help.txt")));
    }

    [Fact]
    public void Without_the_assembly_the_types_come_from_the_SYNTAX_block()
    {
        var page = Parse(GoodPage);
        var xml = MamlWriter.Build(new[] { (page, (CmdletMetadata?)null) });
        var parameters = xml.Descendants(MamlWriter.Command + "parameters").Single().Elements(MamlWriter.Command + "parameter").ToList();
        Assert.Equal(new[] { "Name", "Force" }, parameters.Select(p => p.Element(MamlWriter.Maml + "name")!.Value));
        Assert.Equal("String[]", parameters[0].Element(MamlWriter.Dev + "type")!.Element(MamlWriter.Maml + "name")!.Value);
        Assert.Equal("all", parameters[0].Element(MamlWriter.Dev + "defaultValue")!.Value);
        Assert.Null(parameters[1].Element(MamlWriter.Command + "parameterValue")); // a switch takes no value
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = HelpGenerator.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("helpgen-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
