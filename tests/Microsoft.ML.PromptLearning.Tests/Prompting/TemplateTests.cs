using Microsoft.ML.PromptLearning.Prompting;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

public class TemplateTests
{
    [Fact]
    public void ParsesTextHardAndMaskBlocks()
    {
        var t = Template.Parse("{'text': 'text_a'}说明天气{'mask'}好。");
        Assert.Equal(
            new[]
            {
                new TemplatePart { Kind = TemplatePartKind.Text, Value = "text_a" },
                new TemplatePart { Kind = TemplatePartKind.Hard, Value = "说明天气" },
                new TemplatePart { Kind = TemplatePartKind.Mask },
                new TemplatePart { Kind = TemplatePartKind.Hard, Value = "好。" },
            },
            t.Parts);
        Assert.Equal(1, t.MaskCount);
        Assert.True(t.UsesTextA);
        Assert.False(t.UsesTextB);
        Assert.False(t.HasSoftParts);
    }

    [Fact]
    public void ReadsEveryAttribute()
    {
        var t = Template.Parse("{\"text\": \"text_a\", 'position': 4, 'truncate': False} {'sep': None, 'token_type': 1}"
                               + "{'soft': '请判断：', 'length': 15, 'encoder': 'lstm', 'hidden_size': 100, 'soft_id': 3}{'mask': None, 'length': 2,}");
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Text, Value = "text_a", Position = 4, Truncate = false }, t.Parts[0]);
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Sep, TokenType = 1, AddSpace = true }, t.Parts[1]);
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Soft, Value = "请判断：", Length = 15, Encoder = SoftEncoderKind.Lstm, HiddenSize = 100, SoftId = 3 }, t.Parts[2]);
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Mask, Length = 2 }, t.Parts[3]);
        Assert.Equal(2, t.MaskCount);
        Assert.True(t.HasSoftParts);
    }

    [Fact]
    public void SpaceBeforeABlockIsAddSpaceAndBareTextIsRightTrimmed()
    {
        // PaddleNLP's parse_template_string: leading spaces -> add_space, bare text -> rstrip(" ").
        var t = Template.Parse("{'text': 'text_a'} It was  {'mask'} .");
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Hard, Value = "It was", AddSpace = true }, t.Parts[1]);
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Mask }, t.Parts[2]);   // the space belonged to the bare text
        Assert.Equal(new TemplatePart { Kind = TemplatePartKind.Hard, Value = ".", AddSpace = true }, t.Parts[3]);
        Assert.True(Template.Parse("{'text': 'text_a'}{'mask', 'add_space': True}").Parts[1].AddSpace);
    }

    [Fact]
    public void StringEscapesFollowPython()
    {
        var t = Template.Parse(@"{'text': 'text_a'}{'hard': 'it\'s \""x\"" \\ \n\t\x41\u4e2d\U0001F600'}{'mask'}");
        Assert.Equal("it's \"x\" \\ \n\tA中\U0001F600", t.Parts[1].Value);
        Assert.Equal("a}b", Template.Parse("{'text': 'text_a'}{'hard': \"a}b\"}{'mask'}").Parts[1].Value);
    }

    [Theory]
    [InlineData("{'text': 'text_a'}说明天气{'mask'}好。")]
    [InlineData("{'text': 'text_a'}{'hard': '说明天气'}{'mask'}{'hard': '好。'}")]
    [InlineData("{'soft'}{'text': 'text_a'}{'sep'}{'text': 'text_b'}{'mask'}")]
    [InlineData("{'text': 'text_a', 'position': 4, 'truncate': False} {'sep': None, 'token_type': 1}{'text': 'text_b'}之间{'mask': None, 'length': 2}")]
    [InlineData("{'soft': '请判断', 'length': 5, 'soft_id': 1, 'encoder': 'mlp', 'hidden_size': 8}{'text': 'text_a'}{'soft_id': 1}{'mask'}")]
    [InlineData(" A {'text': 'text_a'} b {'mask'} c")]
    [InlineData("{'text': 'text_a'}{'hard': ' spaced '}{'hard': 'x{y'}{'hard': 'q\\'s\\n', 'truncate': True}{'mask'}")]
    [InlineData("{'text': 'text_a'}一{'hard': '二'}{'mask'}")]
    public void ToStringRoundTrips(string source)
    {
        var t = Template.Parse(source);
        var again = Template.Parse(t.ToString());
        Assert.Equal(t.Parts, again.Parts);
        Assert.Equal(t.ToString(), again.ToString());
        Assert.Equal(t.Parts, Template.FromJson(t.ToJson()).Parts);
    }

    [Fact]
    public void CanonicalFormIsPaddleNlpSyntax()
    {
        Assert.Equal("{'text': 'text_a'}说明天气{'mask'}好。", Template.Parse("{'text':'text_a'}{'hard':'说明天气'}{'mask':None}{'hard': '好。'}").ToString());
        Assert.Equal("{'soft': None, 'length': 2, 'encoder': 'mlp'}{'text': 'text_a'}{'mask': None, 'length': 3}",
            Template.Parse("{'soft': None, 'encoder': 'mlp', 'length': 2}{'text': 'text_a'}{'mask': None, 'length': 3}").ToString());
    }

    [Fact]
    public void JsonHasPaddleNlpShape()
    {
        var t = Template.Parse("{'text': 'text_a'} 说明{'mask': None, 'length': 2}");
        Assert.Equal("[{\"text\":\"text_a\"},{\"hard\":\"说明\",\"add_space\":\" \"},{\"mask\":null,\"length\":2}]", t.ToJson());
        // PaddleNLP writes part dicts in its own key order; any order reads.
        var p = Template.FromJson("[{\"add_space\": \" \", \"text\": \"text_a\"}, {\"mask\": null}]");
        Assert.True(p.Parts[0].AddSpace);
    }

    [Fact]
    public void ConfigFileHasPaddleNlpShape()
    {
        // PaddleNLP's Template.save: the parts on the first line, the template class on the second.
        var soft = Template.Parse("{'soft'}{'text': 'text_a'}{'mask'}");
        Assert.Equal("[{\"soft\":null},{\"text\":\"text_a\"},{\"mask\":null}]\n{\"class\":\"SoftTemplate\"}\n", soft.ToConfigText());
        Assert.EndsWith("{\"class\":\"ManualTemplate\"}\n", Template.Parse("{'text': 'text_a'}{'mask'}").ToConfigText());
        Assert.Equal(soft.Parts, Template.FromConfigText(soft.ToConfigText()).Parts);
        var folder = TestPaths.NewTempDir();
        soft.Save(folder);
        Assert.Equal(soft.Parts, Template.Load(folder).Parts);
        // As PaddleNLP writes it (ensure_ascii=False, its key spacing), and the first line alone (earlier versions).
        var paddle = Template.FromConfigText("[{\"text\": \"text_a\"}, {\"hard\": \"这是\"}, {\"mask\": null, \"length\": 2}]\n{\"class\": \"ManualTemplate\"}\n");
        Assert.Equal("{'text': 'text_a'}这是{'mask': None, 'length': 2}", paddle.ToString());
        Assert.Equal(paddle.Parts, Template.FromConfigText("[{\"text\": \"text_a\"}, {\"hard\": \"这是\"}, {\"mask\": null, \"length\": 2}]").Parts);
        var e = Assert.Throws<TemplateParseException>(() => Template.FromConfigText("[{\"text\": \"text_a\"}, {\"mask\": null}]\n{\"class\": \"PrefixTemplate\"}"));
        Assert.Contains("PrefixTemplate", e.Message);
        Assert.Throws<FileNotFoundException>(() => Template.Load(TestPaths.NewTempDir()));
    }

    [Fact]
    public void FromPromptCompletesAPlainPromptLikeAutoTemplate()
    {
        Assert.Equal("{'text': 'text_a'}这条新闻写的是{'mask'}", Template.FromPrompt("这条新闻写的是").ToString());
        Assert.Equal("{'text': 'text_a'}这条{'mask'}新闻", Template.FromPrompt("这条{'mask'}新闻").ToString());   // a mask is only added when missing
        Assert.Equal(Template.DefaultPrompt, Template.FromPrompt(null).ToString());
        Assert.Equal(Template.DefaultPrompt, Template.FromPrompt("  ").ToString());
        Assert.Equal("{'text': 'text_b'}说明{'mask'}", Template.FromPrompt("{'text': 'text_b'}说明{'mask'}").ToString());
        // PaddleNLP test_initialization: a ManualTemplate without `text` fails, AutoTemplate completes it.
        Assert.Throws<TemplateParseException>(() => Template.Parse("非AutoTemplate模板中必须定义`text`"));
        Assert.Equal("{'text': 'text_a'}非AutoTemplate模板中必须定义`text`{'mask'}", Template.FromPrompt("非AutoTemplate模板中必须定义`text`").ToString());
    }

    [Theory]
    [InlineData("{'text': 'text_a'}{'hard': 'abc", "unterminated string", 27)]
    [InlineData("{'text': 'text_a'}{'msk'}", "unknown keyword 'msk'", 19)]
    [InlineData("{'text': 'text_a'", "unterminated block", 0)]
    [InlineData("{'text': 'text_a'}{}{'mask'}", "empty block {}", 18)]
    [InlineData("{'text': 'text_a'}{mask}", "unquoted keyword 'mask'", 19)]
    [InlineData("{'text': 'content'}{'mask'}", "unknown text field 'content'", 9)]
    [InlineData("{'text': 'text_a'}{'mask': None, 'length': 0}", "'length' is 0", 43)]
    [InlineData("{'text': 'text_a'}{'mask': None, 'length': 1.5}", "decimal number", 43)]
    [InlineData("{'text': 'text_a'}{'mask': none}", "unknown value 'none'", 27)]
    [InlineData("{'text': 'text_a'}{'mask', 'sep'}", "'mask' and 'sep' in one block", 27)]
    [InlineData("{'text': 'text_a', 'text': 'text_b'}{'mask'}", "duplicate keyword 'text'", 19)]
    [InlineData("{'text': 'text_a'}{'hard': 'x', 'length': 2}{'mask'}", "'length' on a 'hard' block", 32)]
    [InlineData("{'text': 'text_a'}{'mask': None, 'truncate': True}", "'truncate' on a 'mask' block", 33)]
    [InlineData("{'text': 'text_a'}{'sep': None, 'token_type': 2}{'mask'}", "'token_type' is 2", 46)]
    [InlineData("{'text': 'text_a'}{'soft': None, 'encoder': 'gru'}{'mask'}", "unknown encoder 'gru'", 44)]
    [InlineData("{'text': 'text_a'}这是[MASK]新闻", "'[MASK]' written as prompt text", 20)]
    [InlineData("{'text': 'text_a'}{'length': 2}", "block without a part keyword", 18)]
    [InlineData("{'text': 'text_a'}{'mask': 'x'}", "'mask' takes no value (got 'x')", 27)]
    public void ParseErrorsNameTheProblemAndPosition(string template, string problem, int position)
    {
        var e = Assert.Throws<TemplateParseException>(() => Template.Parse(template));
        Assert.Equal(problem, e.Problem);
        Assert.Equal(position, e.Position);
        Assert.Contains($"{problem} at {position}", e.Message);
    }

    [Fact]
    public void UnknownKeywordListsTheKeywordsAndSuggestsTheClosest()
    {
        var e = Assert.Throws<TemplateParseException>(() => Template.Parse("{'msk'}{'text': 'text_a'}"));
        Assert.StartsWith("unknown keyword 'msk' at 1 — expected one of text, hard, soft, soft_id, mask, sep, length", e.Message);
        Assert.Contains("did you mean 'mask'?", e.Message);
    }

    [Fact]
    public void TemplateWithoutMaskOrTextIsRejectedWithAFix()
    {
        var e = Assert.Throws<TemplateParseException>(() => Template.Parse("{'text': 'text_a'}这条新闻写的是"));
        Assert.Contains("the template has no {'mask'}", e.Message);
        Assert.Contains("add {'mask'} where the label word goes", e.Message);
        Assert.Null(e.Position);
        e = Assert.Throws<TemplateParseException>(() => Template.Parse("这条新闻写的是{'mask'}"));
        Assert.Contains("no {'text': 'text_a'}", e.Message);
    }

    [Theory]
    [InlineData("{'options': 'choices', 'add_omask': True}{'text': 'text_a'}{'mask'}", "'options' at 1")]
    [InlineData("{'options':'choices','add_omask':True,'add_prompt':'[OPT]好。'}天气如何？{'text': 'text_a'}", "'options' at 1")]
    [InlineData("{'text': 'text_a'}{'mask', 'add_omask': True}", "'add_omask' at 27")]
    [InlineData("{'prefix': '新闻类别', 'length': 10, 'encoder': 'lstm'}{'text': 'text_a'}{'mask'}", "'prefix' at 1")]
    public void OptionListsAndPrefixTemplatesAreNotSupported(string template, string where)
    {
        var e = Assert.Throws<NotSupportedException>(() => Template.FromPrompt(template));
        Assert.Contains(where, e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void SoftIdSharingRules()
    {
        var t = Template.Parse("{'soft': '请判断', 'soft_id': 1, 'encoder': 'lstm'}{'text': 'text_a'}{'soft_id': 1}{'mask'}");
        Assert.Equal(1, t.Parts[2].SoftId);
        var e = Assert.Throws<TemplateParseException>(() => Template.Parse("{'soft_id': 1}{'text': 'text_a'}{'soft': 'x', 'soft_id': 1}{'mask'}"));
        Assert.Contains("soft_id 1 is already defined by part 0", e.Message);
        e = Assert.Throws<TemplateParseException>(() => Template.Parse("{'soft_id': 1}{'text': 'text_a'}{'soft_id': 1, 'encoder': 'mlp'}{'mask'}"));
        Assert.Contains("asks for 'mlp'", e.Message);
        e = Assert.Throws<TemplateParseException>(() => Template.Parse("{'soft': None, 'hidden_size': 8}{'text': 'text_a'}{'mask'}"));
        Assert.Contains("'hidden_size' without an encoder", e.Message);
        e = Assert.Throws<TemplateParseException>(() => Template.Parse("{'soft': None, 'encoder': 'mlp', 'hidden_size': 8}{'text': 'text_a'}{'soft': None, 'encoder': 'mlp', 'hidden_size': 9}{'mask'}"));
        Assert.Contains("two hidden sizes", e.Message);
    }

    [Fact]
    public void FromPartsValidatesLikeParse()
    {
        var parts = new[] { new TemplatePart { Kind = TemplatePartKind.Text, Value = "text_a" }, new TemplatePart { Kind = TemplatePartKind.Mask, Length = 2 } };
        Assert.Equal("{'text': 'text_a'}{'mask': None, 'length': 2}", Template.FromParts(parts).ToString());
        Assert.Throws<TemplateParseException>(() => Template.FromParts(new[] { new TemplatePart { Kind = TemplatePartKind.Text, Value = "title" }, parts[1] }));
    }

    [Fact]
    public void BadJsonIsReportedAsTemplateError()
    {
        Assert.Throws<TemplateParseException>(() => Template.FromJson("{"));
        Assert.Throws<TemplateParseException>(() => Template.FromJson("{\"text\": \"text_a\"}"));
        var e = Assert.Throws<TemplateParseException>(() => Template.FromJson("[{\"text\": \"text_a\"}, {\"mask\": null, \"length\": \"2\"}]"));
        Assert.Contains("part 1", e.Message);
    }
}
