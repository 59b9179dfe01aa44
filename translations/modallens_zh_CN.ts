<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>AblationPlot</name>
        <message>
            <source>query, the largest drop first</source>
            <translation>查询，降幅最大的在前</translation>
        </message>
        <message>
            <source>drop in log p(answer)</source>
            <translation>log p(回答) 的降幅</translation>
        </message>
    </context>
    <context>
        <name>AttentionPanel</name>
        <message>
            <source>Attention</source>
            <translation>注意力</translation>
        </message>
    </context>
    <context>
        <name>ChatController</name>
        <message>
            <source>%1 · frame at %2 s</source>
            <translation>%1 · 第 %2 秒的帧</translation>
        </message>
        <message>
            <source>An answer is still being written: stop it first.</source>
            <translation>还有一个回答正在生成：请先停止它。</translation>
        </message>
        <message>
            <source>Choose a picture first: select one in the gallery, drop one here or pick a file.</source>
            <translation>请先选择一张图片：在图库中选中一张、拖放到这里，或选择一个文件。</translation>
        </message>
        <message>
            <source>The model list is still being searched…</source>
            <translation>仍在搜索模型列表…</translation>
        </message>
        <message>
            <source>Starting…</source>
            <translation>正在启动…</translation>
        </message>
        <message>
            <source>Could not open the conversation: %1</source>
            <translation>无法打开对话：%1</translation>
        </message>
        <message>
            <source>%1 is no longer there: the answers were about it.</source>
            <translation>%1 已不存在：这些回答是关于它的。</translation>
        </message>
        <message>
            <source>%1 has changed since this conversation: the answers were about the picture as it was.</source>
            <translation>%1 在这次对话之后已被修改：这些回答针对的是它当时的样子。</translation>
        </message>
        <message>
            <source>Could not delete %1.</source>
            <translation>无法删除 %1。</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Reading the picture…</source>
            <translation>正在读取图片…</translation>
        </message>
        <message>
            <source>Reading the question…</source>
            <translation>正在读取问题…</translation>
        </message>
        <message>
            <source>Generating: %1 of at most %2 tokens</source>
            <translation>正在生成：已生成 %1 个词元，最多 %2 个</translation>
        </message>
        <message>
            <source>Working…</source>
            <translation>正在处理…</translation>
        </message>
        <message numerus="yes">
            <source>Stopped after %n tokens.</source>
            <translation>
                <numerusform>已在 %n 个词元后停止。</numerusform>
            </translation>
        </message>
        <message>
            <source>Stopped before the first token.</source>
            <translation>在第一个词元之前已停止。</translation>
        </message>
        <message>
            <source>Could not answer: %1</source>
            <translation>无法回答：%1</translation>
        </message>
        <message>
            <source>The conversation was not saved: %1</source>
            <translation>对话未能保存：%1</translation>
        </message>
        <message>
            <source>%1: probability %2</source>
            <translation>%1：概率 %2</translation>
        </message>
        <message>
            <source>Most likely here:</source>
            <translation>此处最可能的词元：</translation>
        </message>
        <message>
            <source>You: %1</source>
            <translation>你：%1</translation>
        </message>
        <message>
            <source>Model: %1</source>
            <translation>模型：%1</translation>
        </message>
        <message>
            <source>New starts a conversation about the same picture without the earlier turns.</source>
            <translation>“新建”会就同一张图片开始一个不带之前各轮的对话。</translation>
        </message>
        <message>
            <source>Choose a LLaVA or BLIP-2 model.</source>
            <translation>请选择一个 LLaVA 或 BLIP-2 模型。</translation>
        </message>
    </context>
    <context>
        <name>ChatGroundingView</name>
        <message>
            <source>Method</source>
            <translation>方法</translation>
        </message>
        <message>
            <source>The attention from the position that wrote the word to each patch</source>
            <translation>写出该词的位置对每个图块的注意力</translation>
        </message>
        <message>
            <source>Attention weighted by its gradient, carried through the layers (Chefer et al. 2021): what the word relied on</source>
            <translation>以梯度加权并逐层传递的注意力（Chefer 等，2021）：该词所依赖的内容</translation>
        </message>
        <message>
            <source>The attention minus the part the earlier words' attention explains: what is new for this word</source>
            <translation>注意力减去前面各词的注意力所能解释的部分：对该词而言新出现的内容</translation>
        </message>
        <message>
            <source>Layer</source>
            <translation>层</translation>
        </message>
        <message>
            <source>Opacity</source>
            <translation>不透明度</translation>
        </message>
        <message>
            <source>Colours</source>
            <translation>色图</translation>
        </message>
        <message>
            <source>Jet</source>
            <translation>Jet</translation>
        </message>
        <message>
            <source>Inferno</source>
            <translation>Inferno</translation>
        </message>
        <message>
            <source>Viridis</source>
            <translation>Viridis</translation>
        </message>
        <message>
            <source>Grey</source>
            <translation>灰度</translation>
        </message>
        <message>
            <source>The colours span the map's raw minimum and maximum</source>
            <translation>颜色覆盖热图原始值的最小值到最大值</translation>
        </message>
        <message>
            <source>Probe</source>
            <translation>探查</translation>
        </message>
        <message>
            <source>Hide a region and ask the same question again.</source>
            <translation>遮住一个区域，再问一次同样的问题。</translation>
        </message>
        <message>
            <source>Paint to Hide</source>
            <translation>涂抹遮挡</translation>
        </message>
        <message>
            <source>Drag over the picture to hide that region (right button: erase). Hidden pixels take the picture&apos;s background colour (the median of its border); a patch at least half painted is hidden whole.</source>
            <translation>在图片上拖动以遮住该区域（右键：擦除）。被遮住的像素填充为图片的背景色（其边框像素的中位数）；被涂抹至少一半的图块整块遮住。</translation>
        </message>
        <message>
            <source>Hide Top Patches</source>
            <translation>遮住最受关注的图块</translation>
        </message>
        <message>
            <source>Hide the 10 % of patches where the shown word looked most</source>
            <translation>遮住当前显示的词最关注的 10 % 图块</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>清除</translation>
        </message>
        <message>
            <source>Show the whole picture again</source>
            <translation>重新显示完整图片</translation>
        </message>
        <message>
            <source>Re-ask</source>
            <translation>重新提问</translation>
        </message>
        <message>
            <source>Ask the same question about the picture with the region hidden</source>
            <translation>在遮住该区域的情况下，就这张图片再问同一个问题</translation>
        </message>
        <message>
            <source>Export PNG…</source>
            <translation>导出 PNG…</translation>
        </message>
        <message>
            <source>Save the shown word's map over the picture</source>
            <translation>保存当前词叠加在图片上的热图</translation>
        </message>
        <message>
            <source>Export Maps…</source>
            <translation>导出热图…</translation>
        </message>
        <message>
            <source>Save every word's map for the chosen method as safetensors</source>
            <translation>将所选方法下每个词的热图保存为 safetensors</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Select a picture in the gallery, drop one here or pick a file.</source>
            <translation>在图库中选择一张图片、拖放到这里，或选择一个文件。</translation>
        </message>
        <message>
            <source>Where each word looked</source>
            <translation>每个词看向了哪里</translation>
        </message>
        <message>
            <source>“%1”: %2 of its relevance on the picture</source>
            <translation>“%1”：%2 的相关性落在图片上</translation>
        </message>
        <message>
            <source>The stronger the tint, the more of the word's relevance lay on the picture. Hover a word to see its map; click to keep it.</source>
            <translation>底色越深，该词的相关性落在图片上的越多。悬停在词上查看其热图；点击以保持显示。</translation>
        </message>
        <message>
            <source>All (mean)</source>
            <translation>全部（平均）</translation>
        </message>
        <message>
            <source>Layer %1</source>
            <translation>第 %1 层</translation>
        </message>
        <message>
            <source>Hover or click a word of the answer.</source>
            <translation>悬停或点击回答中的一个词。</translation>
        </message>
        <message>
            <source>Ask a LLaVA model about the picture: when the answer is done, hover one of its words to see where it looked.</source>
            <translation>向 LLaVA 模型询问这张图片：回答完成后，将鼠标悬停在其中的词上，即可看到它看向了哪里。</translation>
        </message>
        <message>
            <source>“%1” · %2 · %3 of its relevance on the picture · %4, %5 × %6 patches</source>
            <translation>“%1” · %2 · %3 的相关性落在图片上 · %4，%5 × %6 个图块</translation>
        </message>
        <message>
            <source>Original</source>
            <translation>原回答</translation>
        </message>
        <message>
            <source>Region hidden (writing…)</source>
            <translation>遮住区域后（生成中…）</translation>
        </message>
        <message numerus="yes">
            <source>Region hidden (%n patches)</source>
            <translation>
                <numerusform>遮住区域后（%n 个图块）</numerusform>
            </translation>
        </message>
        <message>
            <source>original</source>
            <translation>原回答</translation>
        </message>
        <message>
            <source>hidden</source>
            <translation>遮住后</translation>
        </message>
        <message>
            <source>Export the Map</source>
            <translation>导出热图</translation>
        </message>
        <message>
            <source>PNG images (*.png)</source>
            <translation>PNG 图像 (*.png)</translation>
        </message>
        <message>
            <source>Export Every Word's Map</source>
            <translation>导出每个词的热图</translation>
        </message>
        <message>
            <source>safetensors (*.safetensors)</source>
            <translation>safetensors (*.safetensors)</translation>
        </message>
    </context>
    <context>
        <name>ChatPanel</name>
        <message>
            <source>Chat</source>
            <translation>对话</translation>
        </message>
    </context>
    <context>
        <name>ChatSettingsPage</name>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Sampling</source>
            <translation>采样</translation>
        </message>
        <message>
            <source>Greedy (always the most likely token)</source>
            <translation>贪心（总是取最可能的词元）</translation>
        </message>
        <message>
            <source>Off: each token is drawn from the distribution shaped by the settings below</source>
            <translation>关闭时：每个词元都从由下列设置调整后的分布中抽取</translation>
        </message>
        <message>
            <source>Temperature</source>
            <translation>温度</translation>
        </message>
        <message>
            <source>Top-k</source>
            <translation>Top-k</translation>
        </message>
        <message>
            <source>off</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Top-p</source>
            <translation>Top-p</translation>
        </message>
        <message>
            <source>Repetition penalty</source>
            <translation>重复惩罚</translation>
        </message>
        <message>
            <source>Above 1, tokens already in the prompt or the answer become less likely</source>
            <translation>大于 1 时，已在提示或回答中出现过的词元可能性降低</translation>
        </message>
        <message>
            <source>Seed</source>
            <translation>种子</translation>
        </message>
        <message>
            <source>The same seed and settings give the same answer</source>
            <translation>相同的种子和设置会得到相同的回答</translation>
        </message>
        <message>
            <source>Max tokens</source>
            <translation>最多词元数</translation>
        </message>
        <message>
            <source>Conversations</source>
            <translation>对话记录</translation>
        </message>
        <message>
            <source>New</source>
            <translation>新对话</translation>
        </message>
        <message>
            <source>Start a new conversation about the picture</source>
            <translation>就这张图片开始新的对话</translation>
        </message>
        <message>
            <source>Delete</source>
            <translation>删除</translation>
        </message>
        <message>
            <source>Saved after every answer in %1</source>
            <translation>每次回答后保存到 %1</translation>
        </message>
        <message>
            <source>%1 (cannot be read)</source>
            <translation>%1（无法读取）</translation>
        </message>
        <message>
            <source>(no question)</source>
            <translation>（没有问题）</translation>
        </message>
        <message numerus="yes">
            <source>%1
%n turns with %2 about %3</source>
            <translation>
                <numerusform>%1
与 %2 关于 %3 的 %n 轮对话</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ChatTranscript</name>
        <message>
            <source>You:</source>
            <translation>你：</translation>
        </message>
        <message>
            <source>Model:</source>
            <translation>模型：</translation>
        </message>
        <message>
            <source>(stopped)</source>
            <translation>（已停止）</translation>
        </message>
        <message>
            <source>(cut at the token limit)</source>
            <translation>（已达词元上限而截断）</translation>
        </message>
    </context>
    <context>
        <name>ChatView</name>
        <message>
            <source>Pick a Picture…</source>
            <translation>选择图片…</translation>
        </message>
        <message>
            <source>Talk about a file that is not in the gallery</source>
            <translation>谈论一个不在图库中的文件</translation>
        </message>
        <message>
            <source>The gallery's current item, or a picture dropped here. For a video, the frame the preview shows when the conversation starts.</source>
            <translation>图库的当前项，或拖放到这里的图片。对于视频，是对话开始时预览所显示的那一帧。</translation>
        </message>
        <message>
            <source>Ask about the picture, e.g. “what color is the circle?”</source>
            <translation>就图片提问，例如“what color is the circle?”</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>发送</translation>
        </message>
        <message>
            <source>Stop</source>
            <translation>停止</translation>
        </message>
        <message>
            <source>Stop the answer after the token being written; what came stays</source>
            <translation>在正在生成的词元之后停止回答；已生成的内容保留</translation>
        </message>
        <message>
            <source>Regenerate</source>
            <translation>重新生成</translation>
        </message>
        <message>
            <source>Answer the last question again with the sampling settings now in the side panel</source>
            <translation>用侧栏中当前的采样设置重新回答最后一个问题</translation>
        </message>
        <message>
            <source>Copy</source>
            <translation>复制</translation>
        </message>
        <message>
            <source>Copy the conversation as text</source>
            <translation>将对话复制为文本</translation>
        </message>
        <message>
            <source>No picture</source>
            <translation>没有图片</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>正在加载…</translation>
        </message>
        <message>
            <source>Hover a word of an answer for its probability and the words the model weighed.</source>
            <translation>将鼠标悬停在回答中的某个词上，可查看它的概率以及模型考虑过的其他词。</translation>
        </message>
        <message>
            <source>Pick a Picture</source>
            <translation>选择图片</translation>
        </message>
        <message>
            <source>Pictures and videos (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.mp4 *.mkv *.webm *.mov *.avi)</source>
            <translation>图片和视频 (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.mp4 *.mkv *.webm *.mov *.avi)</translation>
        </message>
    </context>
    <context>
        <name>ClassifyBatchPage</name>
        <message>
            <source>Export JSON</source>
            <translation>导出 JSON</translation>
        </message>
        <message>
            <source>Export CSV</source>
            <translation>导出 CSV</translation>
        </message>
        <message>
            <source>JSON files (*.json)</source>
            <translation>JSON 文件 (*.json)</translation>
        </message>
        <message>
            <source>CSV files (*.csv)</source>
            <translation>CSV 文件 (*.csv)</translation>
        </message>
        <message>
            <source>Batch results</source>
            <translation>批量结果</translation>
        </message>
        <message>
            <source>Export</source>
            <translation>导出</translation>
        </message>
        <message>
            <source>Export CSV…</source>
            <translation>导出 CSV…</translation>
        </message>
        <message>
            <source>Export JSON…</source>
            <translation>导出 JSON…</translation>
        </message>
    </context>
    <context>
        <name>ClassifyController</name>
        <message>
            <source>The learnt prompt %1 is gone; using the templates.</source>
            <translation>学习到的提示词 %1 已不存在；改用模板。</translation>
        </message>
        <message>
            <source>The prompt “%1” is already in the list.</source>
            <translation>提示词“%1”已在列表中。</translation>
        </message>
        <message>
            <source>Cannot use %1 as a learnt prompt: %2</source>
            <translation>无法将 %1 用作学习到的提示词：%2</translation>
        </message>
        <message>
            <source>Still looking for models; try again in a moment.</source>
            <translation>仍在查找模型，请稍后再试。</translation>
        </message>
        <message>
            <source>Choose a CLIP model first (Add folder… lists the checkpoints in a folder).</source>
            <translation>请先选择一个 CLIP 模型（“添加文件夹…”会列出文件夹中的检查点）。</translation>
        </message>
        <message>
            <source>Label set: %1</source>
            <translation>标签集：%1</translation>
        </message>
        <message>
            <source>Add at least one prompt template, such as “%1”.</source>
            <translation>请至少添加一个提示词模板，例如“%1”。</translation>
        </message>
        <message>
            <source>The learnt prompt is class-specific and has no context for: %1. Use its classes (%2) or go back to the templates.</source>
            <translation>学习到的提示词是类别专属的，没有以下标签的上下文：%1。请使用它的类别（%2），或改回使用模板。</translation>
        </message>
        <message>
            <source>The gallery is empty: drop some photos on the window first.</source>
            <translation>图库为空：请先把照片拖到窗口中。</translation>
        </message>
        <message>
            <source>Nothing selected: select one or more photos or videos in the gallery.</source>
            <translation>未选择任何内容：请在图库中选择一张或多张照片或视频。</translation>
        </message>
        <message>
            <source>No photos or videos to classify.</source>
            <translation>没有可分类的照片或视频。</translation>
        </message>
        <message>
            <source>Classifying 1 file…</source>
            <translation>正在分类 1 个文件…</translation>
        </message>
        <message numerus="yes">
            <source>Classifying %n files…</source>
            <translation>
                <numerusform>正在分类 %n 个文件…</numerusform>
            </translation>
        </message>
        <message>
            <source>%1 is not a folder.</source>
            <translation>%1 不是文件夹。</translation>
        </message>
        <message>
            <source>Listing %1</source>
            <translation>正在列出 %1</translation>
        </message>
        <message>
            <source>The gallery holds no photos or videos: drop some on the window first.</source>
            <translation>图库中没有照片或视频：请先把一些拖到窗口中。</translation>
        </message>
        <message>
            <source>the gallery</source>
            <translation>图库</translation>
        </message>
        <message>
            <source>No photos or videos found in %1.</source>
            <translation>在 %1 中未找到照片或视频。</translation>
        </message>
        <message>
            <source>Classifying 1 file from %1…</source>
            <translation>正在分类 %1 中的 1 个文件…</translation>
        </message>
        <message numerus="yes">
            <source>Classifying %n files from %1…</source>
            <translation>
                <numerusform>正在分类 %1 中的 %n 个文件…</numerusform>
            </translation>
        </message>
        <message>
            <source>%1 cancelled.</source>
            <translation>%1已取消。</translation>
        </message>
        <message>
            <source>%1 failed: %2</source>
            <translation>%1 失败：%2</translation>
        </message>
        <message>
            <source>Listing the folder</source>
            <translation>列出文件夹</translation>
        </message>
        <message>
            <source>Classification</source>
            <translation>分类</translation>
        </message>
        <message>
            <source>Batch classification</source>
            <translation>批量分类</translation>
        </message>
        <message>
            <source>Evaluation</source>
            <translation>评估</translation>
        </message>
        <message>
            <source>Cancelled.</source>
            <translation>已取消。</translation>
        </message>
        <message>
            <source>No results.</source>
            <translation>没有结果。</translation>
        </message>
        <message>
            <source>The file could not be classified (see the list).</source>
            <translation>无法对该文件分类（见列表）。</translation>
        </message>
        <message>
            <source>%1 of %2 files could not be classified (see the list).</source>
            <translation>%2 个文件中有 %1 个无法分类（见列表）。</translation>
        </message>
        <message>
            <source>logit scale %1 (τ = %2)</source>
            <translation>logit 缩放 %1（τ = %2）</translation>
        </message>
        <message numerus="yes">
            <source>Classified so far: %n</source>
            <translation>
                <numerusform>已分类：%n</numerusform>
            </translation>
        </message>
        <message>
            <source>Classify a folder or the whole gallery; double-click a row to preview it.</source>
            <translation>分类一个文件夹或整个图库；双击某行可预览。</translation>
        </message>
        <message>
            <source>1 photo</source>
            <translation>1 张照片</translation>
        </message>
        <message numerus="yes">
            <source>%n photos</source>
            <translation>
                <numerusform>%n 张照片</numerusform>
            </translation>
        </message>
        <message>
            <source>1 video, on the frame at its middle</source>
            <translation>1 个视频，按其正中间的帧分类</translation>
        </message>
        <message numerus="yes">
            <source>%n videos, each on the frame at its middle</source>
            <translation>
                <numerusform>%n 个视频，各按其正中间的帧分类</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n could not be read</source>
            <translation>
                <numerusform>%n 张无法读取</numerusform>
            </translation>
        </message>
        <message>
            <source>double-click a row to preview it</source>
            <translation>双击某行可预览</translation>
        </message>
        <message>
            <source>Saved the results to %1.</source>
            <translation>结果已保存到 %1。</translation>
        </message>
    </context>
    <context>
        <name>ClassifyEvaluationPage</name>
        <message numerus="yes">
            <source>Evaluating %1… %n so far</source>
            <translation>
                <numerusform>正在评估 %1… 已完成 %n 张</numerusform>
            </translation>
        </message>
        <message>
            <source>Evaluating %1…</source>
            <translation>正在评估 %1…</translation>
        </message>
        <message>
            <source>Pick a folder holding one sub-folder per class (e.g. cat/, dog/). Each sub-folder’s name is its label.</source>
            <translation>选择一个每个类别各有一个子文件夹的文件夹（如 cat/、dog/）。子文件夹名即为其标签。</translation>
        </message>
        <message>
            <source>Accuracy &lt;b&gt;%1&lt;/b&gt; · %2 of %3 images correct · %4 classes</source>
            <translation>准确率 &lt;b&gt;%1&lt;/b&gt; · %3 张中正确 %2 张 · %4 个类别</translation>
        </message>
        <message numerus="yes">
            <source>%n could not be read</source>
            <translation>
                <numerusform>%n 张无法读取</numerusform>
            </translation>
        </message>
        <message>
            <source>logit scale %1</source>
            <translation>logit 缩放 %1</translation>
        </message>
        <message>
            <source>Click a cell of the matrix to see its images.</source>
            <translation>点击矩阵中的单元格可查看对应图像。</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Images</source>
            <translation>图像</translation>
        </message>
        <message>
            <source>Correct</source>
            <translation>正确</translation>
        </message>
        <message>
            <source>Accuracy</source>
            <translation>准确率</translation>
        </message>
        <message>
            <source>No image of “%1” was classified as “%2”.</source>
            <translation>没有“%1”的图像被分类为“%2”。</translation>
        </message>
    </context>
    <context>
        <name>ClassifyLabelsPage</name>
        <message numerus="yes">
            <source>%n labels, one per line</source>
            <translation>
                <numerusform>%n 个标签，每行一个</numerusform>
            </translation>
        </message>
        <message>
            <source>Load Labels</source>
            <translation>载入标签</translation>
        </message>
        <message>
            <source>Text files (*.txt);;All files (*)</source>
            <translation>文本文件 (*.txt);;所有文件 (*)</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <source>Save Labels</source>
            <translation>保存标签</translation>
        </message>
        <message>
            <source>Text files (*.txt)</source>
            <translation>文本文件 (*.txt)</translation>
        </message>
        <message>
            <source>Custom</source>
            <translation>自定义</translation>
        </message>
        <message>
            <source>Set</source>
            <translation>标签集</translation>
        </message>
        <message>
            <source>Start from a built-in label set</source>
            <translation>从内置标签集开始</translation>
        </message>
        <message>
            <source>Load…</source>
            <translation>载入…</translation>
        </message>
        <message>
            <source>Read labels from a text file, one per line</source>
            <translation>从文本文件读取标签，每行一个</translation>
        </message>
        <message>
            <source>Save…</source>
            <translation>保存…</translation>
        </message>
        <message>
            <source>Write these labels to a text file</source>
            <translation>把这些标签写入文本文件</translation>
        </message>
        <message>
            <source>One label per line, e.g.
cat
dog
bird</source>
            <translation>每行一个标签，例如
cat
dog
bird</translation>
        </message>
    </context>
    <context>
        <name>ClassifyPanel</name>
        <message>
            <source>No CLIP model found. Use “Add folder…” to point at a folder holding one (Hugging Face layout: config.json, model.safetensors, vocab.json, merges.txt).</source>
            <translation>未找到 CLIP 模型。请用“添加文件夹…”指向存放模型的文件夹（Hugging Face 格式：config.json、model.safetensors、vocab.json、merges.txt）。</translation>
        </message>
        <message>
            <source>Classify a Folder</source>
            <translation>分类文件夹</translation>
        </message>
        <message>
            <source>Evaluate a Labelled Folder</source>
            <translation>评估带标签的文件夹</translation>
        </message>
        <message numerus="yes">
            <source>Classify selected (%n)</source>
            <translation>
                <numerusform>分类所选（%n）</numerusform>
            </translation>
        </message>
        <message>
            <source>Classify selected</source>
            <translation>分类所选</translation>
        </message>
        <message>
            <source>Labels (%1)</source>
            <translation>标签（%1）</translation>
        </message>
        <message>
            <source>Prompts (%1)</source>
            <translation>提示词（%1）</translation>
        </message>
        <message>
            <source>Evaluation</source>
            <translation>评估</translation>
        </message>
        <message>
            <source>Images</source>
            <translation>图像</translation>
        </message>
        <message>
            <source>Classify</source>
            <translation>分类</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>The classes to choose from</source>
            <translation>可供选择的类别</translation>
        </message>
        <message>
            <source>How each label is put into words for the text encoder</source>
            <translation>每个标签如何被写成文本编码器的输入</translation>
        </message>
        <message>
            <source>Batch</source>
            <translation>批量</translation>
        </message>
        <message>
            <source>Classify folder…</source>
            <translation>分类文件夹…</translation>
        </message>
        <message>
            <source>Classify whole gallery</source>
            <translation>分类整个图库</translation>
        </message>
        <message>
            <source>Evaluate folder…</source>
            <translation>评估文件夹…</translation>
        </message>
        <message>
            <source>A folder with one sub-folder of photos per class; the sub-folder names are the labels</source>
            <translation>每个类别一个照片子文件夹；子文件夹名即为标签</translation>
        </message>
        <message>
            <source>Prompts (learnt)</source>
            <translation>提示词（学习所得）</translation>
        </message>
        <message>
            <source>Classify the photos and videos selected in the gallery, or the one in the preview (a video on the frame at its middle)</source>
            <translation>分类图库中选中的照片和视频，或预览中的那一个（视频按其正中间的帧分类）</translation>
        </message>
        <message>
            <source>Classify every photo and video in a folder and its sub-folders (a video on the frame at its middle)</source>
            <translation>分类文件夹及其子文件夹中的所有照片和视频（视频按其正中间的帧分类）</translation>
        </message>
        <message>
            <source>Run</source>
            <translation>运行</translation>
        </message>
    </context>
    <context>
        <name>ClassifyPromptsPage</name>
        <message>
            <source>Use Learnt Prompt</source>
            <translation>使用学习到的提示词</translation>
        </message>
        <message>
            <source>Learnt prompts (*.safetensors);;All files (*)</source>
            <translation>学习到的提示词 (*.safetensors);;所有文件 (*)</translation>
        </message>
        <message>
            <source>Other learnt prompt…</source>
            <translation>其他学习到的提示词…</translation>
        </message>
        <message>
            <source>Use learnt prompt…</source>
            <translation>使用学习到的提示词…</translation>
        </message>
        <message numerus="yes">
            <source>%1, … (%n classes)</source>
            <translation>
                <numerusform>%1，…（共 %n 个类别）</numerusform>
            </translation>
        </message>
        <message>
            <source>&lt;b&gt;Learnt prompt&lt;/b&gt; %1</source>
            <translation>&lt;b&gt;学习到的提示词&lt;/b&gt; %1</translation>
        </message>
        <message numerus="yes">
            <source>Class-specific, %n context vectors per class</source>
            <translation>
                <numerusform>类别专属，每个类别 %n 个上下文向量</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Unified, %n context vectors</source>
            <translation>
                <numerusform>统一，%n 个上下文向量</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>learnt on %1 with %n shots per class</source>
            <translation>
                <numerusform>在 %1 上以每类 %n 个样本学习</numerusform>
            </translation>
        </message>
        <message>
            <source>Classes: %1</source>
            <translation>类别：%1</translation>
        </message>
        <message>
            <source>Held-out accuracy: %1 with “%2” → %3 learnt</source>
            <translation>留出集准确率：“%2” 为 %1 → 学习到的提示词为 %3</translation>
        </message>
        <message>
            <source>The learnt prompt replaces the templates. It is class-specific: the labels must be its classes.</source>
            <translation>学习到的提示词取代模板。它是类别专属的：标签必须是它的类别。</translation>
        </message>
        <message>
            <source>The learnt prompt replaces the templates; its context goes before any label.</source>
            <translation>学习到的提示词取代模板；它的上下文放在任意标签之前。</translation>
        </message>
        <message numerus="yes">
            <source>{} stands for each label. The %n prompts are ensembled: their normalised text embeddings are averaged per label.</source>
            <translation>
                <numerusform>{} 代表每个标签。这 %n 个提示词将被集成：每个标签取其归一化文本嵌入的平均值。</numerusform>
            </translation>
        </message>
        <message>
            <source>{} stands for each label. Add more prompts to ensemble them.</source>
            <translation>{} 代表每个标签。添加更多提示词即可进行集成。</translation>
        </message>
        <message>
            <source>New prompt, e.g. “a blurry photo of a {}.”</source>
            <translation>新提示词，例如“a blurry photo of a {}.”</translation>
        </message>
        <message>
            <source>Add</source>
            <translation>添加</translation>
        </message>
        <message>
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <source>Reset</source>
            <translation>重置</translation>
        </message>
        <message>
            <source>Back to the single prompt “%1”</source>
            <translation>恢复为单个提示词“%1”</translation>
        </message>
        <message>
            <source>Double-click a prompt to edit it</source>
            <translation>双击提示词进行编辑</translation>
        </message>
        <message>
            <source>Use context vectors learnt with CoOp (modallens-cli train coop) instead of the templates</source>
            <translation>使用以 CoOp 学习到的上下文向量（modallens-cli train coop）代替模板</translation>
        </message>
        <message>
            <source>Use templates</source>
            <translation>使用模板</translation>
        </message>
        <message>
            <source>Go back to the prompt templates</source>
            <translation>改回使用提示词模板</translation>
        </message>
    </context>
    <context>
        <name>ClassifyResultPage</name>
        <message>
            <source>%1
failed</source>
            <translation>%1
失败</translation>
        </message>
        <message>
            <source>%1 · frame at %2 s (the middle)</source>
            <translation>%1 · 第 %2 秒的帧（正中间）</translation>
        </message>
        <message>
            <source>Could not classify</source>
            <translation>无法分类</translation>
        </message>
        <message>
            <source>%1 of %2</source>
            <translation>%1（共 %2 张）</translation>
        </message>
        <message>
            <source>Highlight top</source>
            <translation>突出显示前</translation>
        </message>
        <message>
            <source>How many of the most probable labels are drawn in the accent colour</source>
            <translation>用强调色绘制概率最高的几个标签</translation>
        </message>
        <message>
            <source>Select photos or videos in the gallery and press “Classify selected”.</source>
            <translation>在图库中选择照片或视频，然后点击“分类所选”。</translation>
        </message>
        <message>
            <source>probability</source>
            <translation>概率</translation>
        </message>
    </context>
    <context>
        <name>ClassifyTableModel</name>
        <message>
            <source>Could not classify</source>
            <translation>无法分类</translation>
        </message>
        <message>
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Top label</source>
            <translation>首选标签</translation>
        </message>
        <message>
            <source>Prob.</source>
            <translation>概率</translation>
        </message>
        <message>
            <source>Second label</source>
            <translation>次选标签</translation>
        </message>
        <message>
            <source>Cannot write %1: %2</source>
            <translation>无法写入 %1：%2</translation>
        </message>
        <message>
            <source>%1 · %2 s</source>
            <translation>%1 · %2 秒</translation>
        </message>
        <message>
            <source>%1
A video: classified on its frame at %2 s, the middle of the clip.</source>
            <translation>%1
视频：按第 %2 秒（片段正中间）的帧分类。</translation>
        </message>
    </context>
    <context>
        <name>ConfusionCellDialog</name>
        <message>
            <source>Correct: %1</source>
            <translation>正确：%1</translation>
        </message>
        <message>
            <source>%1 taken for %2</source>
            <translation>%1 被误认为 %2</translation>
        </message>
        <message>
            <source>1 image of “%1” classified correctly.</source>
            <translation>“%1”的 1 张图像分类正确。</translation>
        </message>
        <message numerus="yes">
            <source>%n images of “%1” classified correctly.</source>
            <translation>
                <numerusform>“%1”的 %n 张图像分类正确。</numerusform>
            </translation>
        </message>
        <message>
            <source>1 image of “%1” classified as “%2”.</source>
            <translation>“%1”的 1 张图像被分类为“%2”。</translation>
        </message>
        <message numerus="yes">
            <source>%n images of “%1” classified as “%2”.</source>
            <translation>
                <numerusform>“%1”的 %n 张图像被分类为“%2”。</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ConfusionMatrixView</name>
        <message>
            <source>True: %1
Predicted: %2
Images: %3</source>
            <translation>真实：%1
预测：%2
图像：%3</translation>
        </message>
        <message>
            <source>Predicted</source>
            <translation>预测类别</translation>
        </message>
        <message>
            <source>True class</source>
            <translation>真实类别</translation>
        </message>
        <message>
            <source>Images</source>
            <translation>图像数</translation>
        </message>
    </context>
    <context>
        <name>CoopController</name>
        <message>
            <source>%1 s</source>
            <translation>%1 秒</translation>
        </message>
        <message>
            <source>Choose a labelled folder: one sub-folder of images per class.</source>
            <translation>请选择标注文件夹：每个类别一个图像子文件夹。</translation>
        </message>
        <message>
            <source>%1 is a file, not a folder.</source>
            <translation>%1 是文件，不是文件夹。</translation>
        </message>
        <message>
            <source>The folder %1 does not exist.</source>
            <translation>文件夹 %1 不存在。</translation>
        </message>
        <message numerus="yes">
            <source>%1 needs at least 2 class sub-folders of images; it has %n.</source>
            <translation>
                <numerusform>%1 至少需要 2 个类别的图像子文件夹；现有 %n 个。</numerusform>
            </translation>
        </message>
        <message>
            <source>Choose where to save the learnt prompt.</source>
            <translation>请选择学到的提示的保存位置。</translation>
        </message>
        <message>
            <source>%1 is a folder: the learnt prompt needs a file name.</source>
            <translation>%1 是文件夹：学到的提示需要一个文件名。</translation>
        </message>
        <message>
            <source>Cannot create the folder %1.</source>
            <translation>无法创建文件夹 %1。</translation>
        </message>
        <message>
            <source>The model list is still being searched: try again in a moment.</source>
            <translation>仍在搜索模型列表：请稍后再试。</translation>
        </message>
        <message>
            <source>Choose a CLIP model.</source>
            <translation>请选择一个 CLIP 模型。</translation>
        </message>
        <message>
            <source>The hand-written template needs {} where the class name goes, as in “a photo of a {}.”</source>
            <translation>手写模板需要用 {} 标出类别名称的位置，例如“a photo of a {}.”</translation>
        </message>
        <message>
            <source>The learning rate must be a number above 0 and at most 1, such as 0.002.</source>
            <translation>学习率必须是大于 0 且不超过 1 的数，例如 0.002。</translation>
        </message>
        <message>
            <source>A prompt is already being learnt: cancel it first.</source>
            <translation>已有提示正在学习：请先取消。</translation>
        </message>
        <message>
            <source>Cancelled: nothing was saved.</source>
            <translation>已取消：未保存任何内容。</translation>
        </message>
        <message>
            <source>Prompt tuning failed: %1</source>
            <translation>提示调优失败：%1</translation>
        </message>
        <message>
            <source>Training: step %1 of %2</source>
            <translation>训练中：第 %1 步，共 %2 步</translation>
        </message>
        <message>
            <source>loss %1, shots accuracy %2</source>
            <translation>损失 %1，训练样本准确率 %2</translation>
        </message>
        <message>
            <source>Embedding images: %1 of %2</source>
            <translation>正在嵌入图像：%1 / %2</translation>
        </message>
        <message>
            <source>Listing images…</source>
            <translation>正在列出图像…</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Measuring held-out accuracy…</source>
            <translation>正在测量留出集准确率…</translation>
        </message>
        <message>
            <source>Starting…</source>
            <translation>正在启动…</translation>
        </message>
        <message>
            <source>Finished in %1</source>
            <translation>完成，用时 %1</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>就绪</translation>
        </message>
    </context>
    <context>
        <name>CoopPanel</name>
        <message>
            <source>Prompt Tuning</source>
            <translation>提示调优</translation>
        </message>
    </context>
    <context>
        <name>CoopResultView</name>
        <message>
            <source>learnt prompt</source>
            <translation>学到的提示</translation>
        </message>
        <message numerus="yes">
            <source>%1 percentage points on %n held-out images</source>
            <translation>
                <numerusform>在 %n 张留出图像上变化 %1 个百分点</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Class-specific, %n context vectors per class</source>
            <translation>
                <numerusform>类别专属，每个类别 %n 个上下文向量</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Unified, %n context vectors</source>
            <translation>
                <numerusform>统一，%n 个上下文向量</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n classes</source>
            <translation>
                <numerusform>%n 个类别</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n shots per class</source>
            <translation>
                <numerusform>每类 %n 个样本</numerusform>
            </translation>
        </message>
        <message>
            <source>ctx %1</source>
            <translation>上下文 %1</translation>
        </message>
        <message>
            <source>%1 · ctx %2</source>
            <translation>%1 · 上下文 %2</translation>
        </message>
        <message>
            <source>Reads as: %1</source>
            <translation>读作：%1</translation>
        </message>
        <message>
            <source>%1 steps (%2, learning rate %3), final loss %4, shots accuracy %5.</source>
            <translation>%1 步（%2，学习率 %3），最终损失 %4，训练样本准确率 %5。</translation>
        </message>
        <message>
            <source>Wall time %1: image features %2 (%3 images), training %4 (%5 steps/s); %6 on %7.</source>
            <translation>总耗时 %1：图像特征 %2（%3 张图像），训练 %4（%5 步/秒）；%6，设备 %7。</translation>
        </message>
        <message>
            <source>Not saved.</source>
            <translation>未保存。</translation>
        </message>
        <message>
            <source>Saved as %1</source>
            <translation>已保存为 %1</translation>
        </message>
        <message>
            <source>Training loss</source>
            <translation>训练损失</translation>
        </message>
        <message>
            <source>Cross-entropy of the learnt prompt on the shots, averaged between reports.</source>
            <translation>学到的提示在训练样本上的交叉熵，按两次报告之间取平均。</translation>
        </message>
        <message>
            <source>Learn a prompt to compare it here with the hand-written template.</source>
            <translation>学习一个提示后，可在此将其与手写模板比较。</translation>
        </message>
        <message>
            <source>hand-written template</source>
            <translation>手写模板</translation>
        </message>
        <message>
            <source>Per class</source>
            <translation>各类别</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Template</source>
            <translation>模板</translation>
        </message>
        <message>
            <source>Learnt</source>
            <translation>学到的</translation>
        </message>
        <message>
            <source>Nearest words to each context vector</source>
            <translation>与每个上下文向量最近的词</translation>
        </message>
        <message>
            <source>Context</source>
            <translation>上下文</translation>
        </message>
        <message>
            <source>Nearest vocabulary words (distance)</source>
            <translation>最近的词表词语（距离）</translation>
        </message>
        <message>
            <source>Use in Classify</source>
            <translation>在分类中使用</translation>
        </message>
        <message>
            <source>Classify with this learnt prompt instead of the templates</source>
            <translation>用这个学到的提示代替模板进行分类</translation>
        </message>
    </context>
    <context>
        <name>CoopSetupPanel</name>
        <message>
            <source>Labelled Folder</source>
            <translation>标注文件夹</translation>
        </message>
        <message>
            <source>Save the Learnt Prompt</source>
            <translation>保存学到的提示</translation>
        </message>
        <message>
            <source>Learnt prompts (*.safetensors)</source>
            <translation>学到的提示 (*.safetensors)</translation>
        </message>
        <message>
            <source>There is no sample gallery yet: File ▸ Open Sample Gallery writes one, with a labelled folder of Fashion-MNIST garments (one sub-folder per class) when Fashion-MNIST is installed.</source>
            <translation>还没有示例图库：“文件 ▸ 打开示例图库”会写入一个；若已安装 Fashion-MNIST，其中包含一个 Fashion-MNIST 服饰的带标签文件夹（每个类别一个子文件夹）。</translation>
        </message>
        <message>
            <source>The context starts random. With words, it starts as their token embeddings, one vector per token.</source>
            <translation>上下文随机初始化。若给出词语，则以其词元嵌入初始化，每个词元一个向量。</translation>
        </message>
        <message>
            <source>One context vector per token of these words, starting as their embeddings.</source>
            <translation>这些词语的每个词元对应一个上下文向量，以其嵌入初始化。</translation>
        </message>
        <message>
            <source>Learn Prompt</source>
            <translation>学习提示</translation>
        </message>
        <message>
            <source>Learn context vectors for this folder's classes (CoOp) on the frozen model</source>
            <translation>在冻结的模型上为此文件夹的类别学习上下文向量（CoOp）</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Model and Data</source>
            <translation>模型与数据</translation>
        </message>
        <message>
            <source>CLIP model:</source>
            <translation>CLIP 模型：</translation>
        </message>
        <message>
            <source>Labelled folder:</source>
            <translation>标注文件夹：</translation>
        </message>
        <message>
            <source>One sub-folder of images per class</source>
            <translation>每个类别一个图像子文件夹</translation>
        </message>
        <message>
            <source>Choose the labelled folder</source>
            <translation>选择标注文件夹</translation>
        </message>
        <message>
            <source>Samples</source>
            <translation>样本</translation>
        </message>
        <message>
            <source>The sample gallery's Fashion-MNIST garments, one sub-folder per class (File ▸ Open Sample Gallery writes them)</source>
            <translation>示例图库中的 Fashion-MNIST 服饰，每个类别一个子文件夹（由“文件 ▸ 打开示例图库”写入）</translation>
        </message>
        <message>
            <source>Each sub-folder's name is a class. K images per class train the prompt; the rest are held out to measure accuracy.</source>
            <translation>每个子文件夹的名称即一个类别。每类 K 张图像用于训练提示，其余留出用于测量准确率。</translation>
        </message>
        <message>
            <source>Shots per class (K):</source>
            <translation>每类样本数 (K)：</translation>
        </message>
        <message>
            <source>Prompt</source>
            <translation>提示</translation>
        </message>
        <message>
            <source>Context vectors (M):</source>
            <translation>上下文向量数 (M)：</translation>
        </message>
        <message>
            <source>Or start from words:</source>
            <translation>或从词语开始：</translation>
        </message>
        <message>
            <source>e.g. a photo of a</source>
            <translation>例如 a photo of a</translation>
        </message>
        <message>
            <source>Context:</source>
            <translation>上下文：</translation>
        </message>
        <message>
            <source>Unified (one context for every class)</source>
            <translation>统一（所有类别共用一个上下文）</translation>
        </message>
        <message>
            <source>Class-specific (one context per class)</source>
            <translation>类别专属（每个类别一个上下文）</translation>
        </message>
        <message>
            <source>Hand-written template:</source>
            <translation>手写模板：</translation>
        </message>
        <message>
            <source>The prompt the learnt one is measured against; {} stands for the class name</source>
            <translation>与学到的提示作对比的提示；{} 代表类别名称</translation>
        </message>
        <message>
            <source>Training</source>
            <translation>训练</translation>
        </message>
        <message>
            <source>Steps:</source>
            <translation>步数：</translation>
        </message>
        <message>
            <source>Learning rate:</source>
            <translation>学习率：</translation>
        </message>
        <message>
            <source>Seed:</source>
            <translation>种子：</translation>
        </message>
        <message>
            <source>Save as:</source>
            <translation>保存为：</translation>
        </message>
        <message>
            <source>Choose where the learnt prompt is saved</source>
            <translation>选择学到的提示的保存位置</translation>
        </message>
    </context>
    <context>
        <name>CurvesPage</name>
        <message>
            <source>Add a Run</source>
            <translation>添加运行</translation>
        </message>
        <message>
            <source>Log-scale loss</source>
            <translation>损失用对数坐标</translation>
        </message>
        <message>
            <source>Fit view</source>
            <translation>适应视图</translation>
        </message>
        <message>
            <source>Show every point again and follow new ones (or double-click a plot)</source>
            <translation>重新显示所有数据点并跟随新的点（或双击图表）</translation>
        </message>
        <message>
            <source>Add run…</source>
            <translation>添加运行…</translation>
        </message>
        <message>
            <source>Overlay the curves of another run folder (its metrics.jsonl)</source>
            <translation>叠加另一个运行文件夹的曲线（其 metrics.jsonl）</translation>
        </message>
        <message>
            <source>Wheel: zoom · drag: pan</source>
            <translation>滚轮：缩放 · 拖动：平移</translation>
        </message>
    </context>
    <context>
        <name>DiffusionController</name>
        <message>
            <source>The model list is still being searched…</source>
            <translation>仍在搜索模型列表…</translation>
        </message>
        <message>
            <source>Choose a diffusion model (a diffusers UNet2DModel).</source>
            <translation>请选择扩散模型（diffusers UNet2DModel）。</translation>
        </message>
        <message>
            <source>Opening the diffusion model</source>
            <translation>正在打开扩散模型</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message numerus="yes">
            <source> (and %n more)</source>
            <translation>
                <numerusform>（另有 %n 条）</numerusform>
            </translation>
        </message>
        <message>
            <source>Denoising a branch</source>
            <translation>正在对分支去噪</translation>
        </message>
        <message>
            <source>Reconstructing the image</source>
            <translation>正在重建图像</translation>
        </message>
        <message>
            <source>Denoising</source>
            <translation>正在去噪</translation>
        </message>
        <message>
            <source>Starting…</source>
            <translation>正在启动…</translation>
        </message>
        <message>
            <source>Could not use %1 for the forward process: %2</source>
            <translation>无法将 %1 用于前向过程：%2</translation>
        </message>
        <message>
            <source>Denoising: step %1 of %2 · %3 ms/step</source>
            <translation>去噪中：第 %1 步，共 %2 步 · %3 毫秒/步</translation>
        </message>
        <message>
            <source>Denoising: step %1 of %2</source>
            <translation>去噪中：第 %1 步，共 %2 步</translation>
        </message>
        <message>
            <source>Exporting: frame %1 of %2</source>
            <translation>导出中：第 %1 帧，共 %2 帧</translation>
        </message>
        <message>
            <source>Could not open the model: %1</source>
            <translation>无法打开模型：%1</translation>
        </message>
        <message>
            <source>Nothing to branch from: run the configuration first.</source>
            <translation>没有可分支的步骤：请先运行当前配置。</translation>
        </message>
        <message>
            <source>Run %1: branch of run %2 at step %3, seed %4</source>
            <translation>运行 %1：运行 %2 在第 %3 步的分支，种子 %4</translation>
        </message>
        <message>
            <source>Run %1: %2 reconstructed from step %3, seed %4</source>
            <translation>运行 %1：从第 %3 步重建 %2，种子 %4</translation>
        </message>
        <message>
            <source>Run %1: seed %2</source>
            <translation>运行 %1：种子 %2</translation>
        </message>
        <message>
            <source> · %1 ms/step</source>
            <translation> · %1 毫秒/步</translation>
        </message>
        <message numerus="yes">
            <source>Done: %n steps</source>
            <translation>
                <numerusform>完成：%n 步</numerusform>
            </translation>
        </message>
        <message>
            <source>Paused after step %1 of %2</source>
            <translation>已在第 %1 步后暂停，共 %2 步</translation>
        </message>
        <message>
            <source>At step %1 of %2</source>
            <translation>位于第 %1 步，共 %2 步</translation>
        </message>
        <message>
            <source>%1 M parameters</source>
            <translation>%1 M 参数</translation>
        </message>
        <message>
            <source>%1 × %2 × %3</source>
            <translation>%1 × %2 × %3</translation>
        </message>
        <message numerus="yes">
            <source>%1, %n steps</source>
            <translation>
                <numerusform>%1，%n 步</numerusform>
            </translation>
        </message>
        <message>
            <source>%1 on %2</source>
            <translation>%1，运行于 %2</translation>
        </message>
        <message>
            <source>full tensors %1 MB of a %2 MB budget (newest runs; older runs keep their previews)</source>
            <translation>完整张量 %1 MB，预算 %2 MB（保留最新的运行；较早的运行仅保留预览）</translation>
        </message>
        <message>
            <source>previews %1 MB of a %2 MB history</source>
            <translation>预览 %1 MB，历史上限 %2 MB</translation>
        </message>
        <message numerus="yes">
            <source>(%n oldest run(s) dropped)</source>
            <translation>
                <numerusform>（已丢弃最早的 %n 次运行）</numerusform>
            </translation>
        </message>
        <message>
            <source>Nothing to export yet: run the model first.</source>
            <translation>尚无可导出的内容：请先运行模型。</translation>
        </message>
        <message>
            <source>Export the trajectory</source>
            <translation>导出轨迹</translation>
        </message>
        <message>
            <source>Exported %1.</source>
            <translation>已导出 %1。</translation>
        </message>
        <message>
            <source>Saved the trajectory (x_t beside the predicted x₀) to %1.</source>
            <translation>已将轨迹（x_t 与预测的 x₀ 并排）保存到 %1。</translation>
        </message>
        <message>
            <source>Export cancelled.</source>
            <translation>导出已取消。</translation>
        </message>
        <message>
            <source>Could not export: %1</source>
            <translation>无法导出：%1</translation>
        </message>
        <message>
            <source>x_t</source>
            <translation>x_t</translation>
        </message>
        <message>
            <source>pred. x₀</source>
            <translation>预测 x₀</translation>
        </message>
        <message>
            <source>t = %1</source>
            <translation>t = %1</translation>
        </message>
        <message>
            <source>result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Could not write %1.</source>
            <translation>无法写入 %1。</translation>
        </message>
        <message>
            <source>Saved the grid (%1 × %2 px) to %3.</source>
            <translation>已将网格图（%1 × %2 像素）保存到 %3。</translation>
        </message>
    </context>
    <context>
        <name>DiffusionPanel</name>
        <message>
            <source>Diffusion</source>
            <translation>扩散</translation>
        </message>
    </context>
    <context>
        <name>DiffusionSettingsPage</name>
        <message>
            <source>Model:</source>
            <translation>模型：</translation>
        </message>
        <message>
            <source>Open Folder…</source>
            <translation>打开文件夹…</translation>
        </message>
        <message>
            <source>A diffusers UNet2DModel checkpoint (flat, or a pipeline with unet/ and scheduler/)</source>
            <translation>diffusers UNet2DModel 检查点（扁平结构，或带 unet/ 和 scheduler/ 的管线）</translation>
        </message>
        <message>
            <source>Sampler</source>
            <translation>采样器</translation>
        </message>
        <message>
            <source>Scheduler:</source>
            <translation>调度器：</translation>
        </message>
        <message>
            <source>Steps:</source>
            <translation>步数：</translation>
        </message>
        <message>
            <source>Eta:</source>
            <translation>Eta：</translation>
        </message>
        <message>
            <source>DDIM's eta: 0 is deterministic, 1 adds as much noise per step as DDPM</source>
            <translation>DDIM 的 eta：0 为确定性采样，1 时每步加入与 DDPM 相同的噪声</translation>
        </message>
        <message>
            <source>Seed:</source>
            <translation>种子：</translation>
        </message>
        <message>
            <source>New</source>
            <translation>新种子</translation>
        </message>
        <message>
            <source>A random seed</source>
            <translation>随机种子</translation>
        </message>
        <message>
            <source>Step back (shows the stored step, computes nothing)</source>
            <translation>后退一步（显示已保存的步骤，不计算）</translation>
        </message>
        <message>
            <source>Step forward (computes one more step at the last)</source>
            <translation>前进一步（在最后一步时再计算一步）</translation>
        </message>
        <message>
            <source>Branch</source>
            <translation>分支</translation>
        </message>
        <message>
            <source>Branch seed:</source>
            <translation>分支种子：</translation>
        </message>
        <message>
            <source>Branch from Here</source>
            <translation>从此处分支</translation>
        </message>
        <message>
            <source>Run again from the shown step with the branch seed's noise; the original run is kept</source>
            <translation>用分支种子的噪声从当前步骤重新运行；原运行保留</translation>
        </message>
        <message>
            <source>Forward process</source>
            <translation>前向过程</translation>
        </message>
        <message>
            <source>Choose Image…</source>
            <translation>选择图像…</translation>
        </message>
        <message>
            <source>Reconstruct from Here</source>
            <translation>从此处重建</translation>
        </message>
        <message>
            <source>Let the model denoise the image's x_t from the shown step to the end</source>
            <translation>让模型从当前步骤开始对图像的 x_t 去噪直至结束</translation>
        </message>
        <message>
            <source>Export Video…</source>
            <translation>导出视频…</translation>
        </message>
        <message>
            <source>The shown trajectory (x_t and the predicted x₀ side by side) as MP4 or GIF</source>
            <translation>将当前轨迹（x_t 与预测的 x₀ 并排）导出为 MP4 或 GIF</translation>
        </message>
        <message>
            <source>Export Grid…</source>
            <translation>导出网格…</translation>
        </message>
        <message>
            <source>x_t and the predicted x₀ at up to 10 steps with their t, as PNG</source>
            <translation>最多 10 个步骤的 x_t 与预测的 x₀ 及其 t，导出为 PNG</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Run</source>
            <translation>运行</translation>
        </message>
        <message>
            <source>Stop after this step; Run continues from there</source>
            <translation>在此步后停止；再按“运行”从此处继续</translation>
        </message>
        <message>
            <source>Continue the shown run to the end</source>
            <translation>将当前运行继续到结束</translation>
        </message>
        <message>
            <source>A new run with the seed, to the end</source>
            <translation>用该种子新建一次运行，直至结束</translation>
        </message>
        <message>
            <source>Select an image in the gallery or drop one here: it is noised to the shown step's t with the seed's noise.</source>
            <translation>在图库中选择图像或拖放到此处：它会用该种子的噪声加噪到当前步骤的 t。</translation>
        </message>
        <message>
            <source>%1 is noised to the shown step's t; Reconstruct lets the model denoise it from there.</source>
            <translation>%1 被加噪到当前步骤的 t；“重建”让模型从此处开始去噪。</translation>
        </message>
        <message>
            <source>Open a Diffusers Checkpoint</source>
            <translation>打开 Diffusers 检查点</translation>
        </message>
        <message>
            <source>%1 is not a diffusers UNet2DModel checkpoint (config.json and diffusion_pytorch_model.safetensors, or a pipeline with unet/).</source>
            <translation>%1 不是 diffusers UNet2DModel 检查点（需要 config.json 和 diffusion_pytorch_model.safetensors，或带 unet/ 的管线）。</translation>
        </message>
        <message>
            <source>Choose an Image to Noise</source>
            <translation>选择要加噪的图像</translation>
        </message>
        <message>
            <source>Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)</source>
            <translation>图像 (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)</translation>
        </message>
        <message>
            <source>Export the Trajectory</source>
            <translation>导出轨迹</translation>
        </message>
        <message>
            <source>MP4 video (*.mp4);;Animated GIF (*.gif)</source>
            <translation>MP4 视频 (*.mp4);;GIF 动画 (*.gif)</translation>
        </message>
        <message>
            <source>Export the Grid</source>
            <translation>导出网格</translation>
        </message>
        <message>
            <source>PNG images (*.png)</source>
            <translation>PNG 图像 (*.png)</translation>
        </message>
    </context>
    <context>
        <name>DiffusionStepsView</name>
        <message>
            <source>Every computed step of the shown run</source>
            <translation>当前运行中已计算的每一步</translation>
        </message>
        <message>
            <source>Trajectory:</source>
            <translation>轨迹：</translation>
        </message>
        <message>
            <source>Press Run</source>
            <translation>请按“运行”</translation>
        </message>
        <message>
            <source>not computed yet</source>
            <translation>尚未计算</translation>
        </message>
        <message>
            <source>Select an image in the gallery or drop one here</source>
            <translation>在图库中选择图像，或拖放到此处</translation>
        </message>
        <message>
            <source>x_t and the predicted x₀ are shown from −1 to 1, ε̂ from −%1 to %1; pictures are enlarged without smoothing.</source>
            <translation>x_t 与预测的 x₀ 按 −1 到 1 显示，ε̂ 按 −%1 到 %1 显示；图像放大时不做平滑。</translation>
        </message>
        <message>
            <source>Noise schedule</source>
            <translation>噪声调度</translation>
        </message>
        <message>
            <source>Endings (click one to show its trajectory)</source>
            <translation>结果（点击一个以显示其轨迹）</translation>
        </message>
        <message>
            <source>not finished</source>
            <translation>未完成</translation>
        </message>
        <message>
            <source>noisy sample x_t</source>
            <translation>带噪样本 x_t</translation>
        </message>
        <message>
            <source>predicted noise ε̂</source>
            <translation>预测噪声 ε̂</translation>
        </message>
        <message>
            <source>predicted clean x₀</source>
            <translation>预测的干净图像 x₀</translation>
        </message>
        <message numerus="yes">
            <source>%n steps, none computed yet</source>
            <translation>
                <numerusform>共 %n 步，尚未计算</numerusform>
            </translation>
        </message>
        <message>
            <source>t = %1</source>
            <translation>t = %1</translation>
        </message>
        <message>
            <source>last step, t = %1</source>
            <translation>最后一步，t = %1</translation>
        </message>
        <message>
            <source>the sample x₀</source>
            <translation>样本 x₀</translation>
        </message>
        <message>
            <source>after the last step</source>
            <translation>最后一步之后</translation>
        </message>
        <message numerus="yes">
            <source>Result after %n steps</source>
            <translation>
                <numerusform>%n 步后的结果</numerusform>
            </translation>
        </message>
        <message>
            <source>Step %1 of %2 · t = %3</source>
            <translation>第 %1 步，共 %2 步 · t = %3</translation>
        </message>
        <message>
            <source>forward x_t of %1</source>
            <translation>%1 的前向 x_t</translation>
        </message>
        <message>
            <source>%1, as the model sees it</source>
            <translation>%1（模型所见）</translation>
        </message>
        <message>
            <source>x₀</source>
            <translation>x₀</translation>
        </message>
        <message>
            <source>forward process x_t</source>
            <translation>前向过程 x_t</translation>
        </message>
        <message>
            <source>preparing…</source>
            <translation>准备中…</translation>
        </message>
        <message>
            <source>original ending</source>
            <translation>原始结果</translation>
        </message>
        <message>
            <source>run %1, seed %2</source>
            <translation>运行 %1，种子 %2</translation>
        </message>
        <message>
            <source>branch ending</source>
            <translation>分支结果</translation>
        </message>
        <message>
            <source>run %1, seed %2 from step %3</source>
            <translation>运行 %1，种子 %2，自第 %3 步</translation>
        </message>
        <message>
            <source> (at step %1)</source>
            <translation>（位于第 %1 步）</translation>
        </message>
        <message>
            <source> · previews only</source>
            <translation> · 仅预览</translation>
        </message>
    </context>
    <context>
        <name>DuplicatesView</name>
        <message>
            <source>first</source>
            <translation>首个</translation>
        </message>
        <message numerus="yes">
            <source>%n file(s), similarity ≥ %1</source>
            <translation>
                <numerusform>%n 个文件，相似度 ≥ %1</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%1 · %n bit(s)</source>
            <translation>
                <numerusform>%1 · %n 位</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n file(s), similarity ≥ %1, pictures ≤ %2 bits apart</source>
            <translation>
                <numerusform>%n 个文件，相似度 ≥ %1，画面相差 ≤ %2 位</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%1 (similarity %2, perceptual hash %n bit(s) from the first)</source>
            <translation>
                <numerusform>%1（相似度 %2，感知哈希与第一个文件相差 %n 位）</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>EngineText</name>
        <message>
            <source>out of memory: &apos;%1&apos; asked for more memory than this machine can give; try a smaller batch, size or model, or free memory</source>
            <translation>内存不足：“%1”所需的内存超出了本机可提供的范围；请减小批量、尺寸或模型，或释放内存</translation>
        </message>
        <message>
            <source>changed while being indexed (its size or time is not the scan&apos;s); it is indexed again on the next run</source>
            <translation>索引期间文件被修改（其大小或时间与扫描时不同）；将在下次运行时重新索引</translation>
        </message>
        <message>
            <source>weight &apos;%1&apos; holds %2 NaN and %3 infinite value(s): results computed with it will be NaN or infinite (a damaged checkpoint?)</source>
            <translation>权重“%1”含有 %2 个 NaN 和 %3 个无穷值：用它算出的结果将是 NaN 或无穷（检查点已损坏？）</translation>
        </message>
        <message>
            <source>the prompt is %1 positions long, more than the %2 this model reads beside its answer (%3 in all): the oldest %4 tokens of the conversation were left out</source>
            <translation>提示长 %1 个位置，超过了此模型在回答之外可读取的 %2 个（共 %3 个）：已略去对话中最早的 %4 个词元</translation>
        </message>
        <message>
            <source>file starts with text "%1"</source>
            <translation>文件开头是文本“%1”</translation>
        </message>
        <message>
            <source>file starts with bytes %1</source>
            <translation>文件开头的字节为 %1</translation>
        </message>
        <message>
            <source>no decodable frames</source>
            <translation>没有可解码的帧</translation>
        </message>
        <message>
            <source>not readable</source>
            <translation>不可读</translation>
        </message>
        <message>
            <source>no such file</source>
            <translation>文件不存在</translation>
        </message>
        <message>
            <source>no such file or folder</source>
            <translation>文件或文件夹不存在</translation>
        </message>
        <message>
            <source>cannot access (%1)</source>
            <translation>无法访问（%1）</translation>
        </message>
        <message>
            <source>is a directory, not a media file</source>
            <translation>这是文件夹，不是媒体文件</translation>
        </message>
        <message>
            <source>not a regular file</source>
            <translation>不是普通文件</translation>
        </message>
        <message>
            <source>file is empty (0 bytes)</source>
            <translation>文件为空（0 字节）</translation>
        </message>
        <message>
            <source>cannot open (%1)</source>
            <translation>无法打开（%1）</translation>
        </message>
        <message>
            <source>read error</source>
            <translation>读取错误</translation>
        </message>
        <message>
            <source>not a decodable image (%1)</source>
            <translation>不是可解码的图像（%1）</translation>
        </message>
        <message>
            <source>not a supported image or video (%1)</source>
            <translation>不是受支持的图像或视频（%1）</translation>
        </message>
        <message>
            <source>image file too large (over 2 GiB)</source>
            <translation>图像文件过大（超过 2 GiB）</translation>
        </message>
        <message>
            <source>truncated or corrupt %1 image (the decoder gave up)</source>
            <translation>%1 图像不完整或已损坏（解码器放弃了解码）</translation>
        </message>
        <message>
            <source>not a decodable video (%1)</source>
            <translation>不是可解码的视频（%1）</translation>
        </message>
        <message>
            <source>truncated or corrupt video (%1)</source>
            <translation>视频不完整或已损坏（%1）</translation>
        </message>
        <message>
            <source>no video stream (audio only)</source>
            <translation>没有视频流（只有音频）</translation>
        </message>
        <message>
            <source>no video stream (only a cover picture)</source>
            <translation>没有视频流（只有封面图片）</translation>
        </message>
        <message>
            <source>not a CLIP checkpoint (config says '%1')</source>
            <translation>不是 CLIP 检查点（配置中写的是“%1”）</translation>
        </message>
        <message>
            <source>no weights found (expected model.safetensors, diffusion_pytorch_model.safetensors, open_clip_model.safetensors, a *.safetensors.index.json with its shards, or one *.safetensors)</source>
            <translation>未找到权重（需要 model.safetensors、diffusion_pytorch_model.safetensors、open_clip_model.safetensors、带分片的 *.safetensors.index.json，或单个 *.safetensors）</translation>
        </message>
        <message>
            <source>the checkpoint has no tensor '%1'</source>
            <translation>检查点中没有张量“%1”</translation>
        </message>
        <message>
            <source>the checkpoint does not fit the model (%1 missing, %2 mismatched, %3 unexpected)</source>
            <translation>检查点与模型不匹配（缺少 %1 个，形状不符 %2 个，多余 %3 个）</translation>
        </message>
        <message>
            <source>missing shard file(s): %1</source>
            <translation>缺少分片文件：%1</translation>
        </message>
        <message>
            <source>invalid JSON: %1</source>
            <translation>JSON 无效：%1</translation>
        </message>
        <message>
            <source>not a JSON object</source>
            <translation>不是 JSON 对象</translation>
        </message>
        <message>
            <source>file is truncated (%1 bytes, need at least 8)</source>
            <translation>文件不完整（%1 字节，至少需要 8 字节）</translation>
        </message>
        <message>
            <source>header is not valid JSON (parse error at byte %1)</source>
            <translation>文件头不是有效的 JSON（在第 %1 字节处解析出错）</translation>
        </message>
        <message>
            <source>the weights here are pickles (%1), which can run arbitrary code when loaded, so they are not read. Convert them to safetensors once, in Python:</source>
            <translation>这里的权重是 pickle 文件（%1），加载时可能执行任意代码，因此不会读取。请用 Python 将其一次性转换为 safetensors：</translation>
        </message>
        <message>
            <source>no such folder, and no embedded, app or Hugging Face cache model has that name (see `%1`)</source>
            <translation>没有这个文件夹，内置模型、应用模型和 Hugging Face 缓存中也没有同名模型（参见 `%1`）</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>unknown error in job '%1'</source>
            <translation>任务“%1”出现未知错误</translation>
        </message>
        <message>
            <source>missing: %1</source>
            <translation>缺少：%1</translation>
        </message>
        <message>
            <source>unexpected: %1</source>
            <translation>多余：%1</translation>
        </message>
        <message>
            <source>mismatched: %1: checkpoint %2, model %3</source>
            <translation>形状不符：%1：检查点 %2，模型 %3</translation>
        </message>
        <message>
            <source>or, for a plain state dict:</source>
            <translation>或者，对于普通的 state dict：</translation>
        </message>
        <message numerus="yes">
            <source>Classifying %n photos</source>
            <translation>
                <numerusform>正在分类 %n 张照片</numerusform>
            </translation>
        </message>
        <message>
            <source>Evaluating %1</source>
            <translation>正在评估 %1</translation>
        </message>
        <message numerus="yes">
            <source>Embedding %n photos</source>
            <translation>
                <numerusform>正在嵌入 %n 张照片</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Embedding %n texts</source>
            <translation>
                <numerusform>正在嵌入 %n 条文本</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Tokenising %n texts</source>
            <translation>
                <numerusform>正在对 %n 条文本分词</numerusform>
            </translation>
        </message>
        <message>
            <source>Explaining (raw attention)</source>
            <translation>正在解释（原始注意力）</translation>
        </message>
        <message>
            <source>Explaining (attention rollout)</source>
            <translation>正在解释（注意力展开）</translation>
        </message>
        <message>
            <source>Explaining (relevance)</source>
            <translation>正在解释（相关性）</translation>
        </message>
        <message>
            <source>Searching</source>
            <translation>正在搜索</translation>
        </message>
        <message numerus="yes">
            <source>Indexing %n locations</source>
            <translation>
                <numerusform>正在索引 %n 个位置</numerusform>
            </translation>
        </message>
        <message>
            <source>Finding near-duplicates</source>
            <translation>正在查找近似重复项</translation>
        </message>
        <message>
            <source>Learning a prompt (CoOp) for %1</source>
            <translation>正在为 %1 学习提示词（CoOp）</translation>
        </message>
        <message>
            <source>Training %1 (%2)</source>
            <translation>正在训练 %1（%2）</translation>
        </message>
        <message>
            <source>Zero-shot evaluation (%1)</source>
            <translation>零样本评估（%1）</translation>
        </message>
        <message>
            <source>DDPM sample quality (%1)</source>
            <translation>DDPM 样本质量（%1）</translation>
        </message>
        <message>
            <source>Opening the diffusion model</source>
            <translation>正在打开扩散模型</translation>
        </message>
        <message>
            <source>Denoising</source>
            <translation>正在去噪</translation>
        </message>
        <message>
            <source>Noising the image (forward process)</source>
            <translation>正在给图像加噪（前向过程）</translation>
        </message>
        <message>
            <source>Writing the sample gallery</source>
            <translation>正在写入示例图库</translation>
        </message>
        <message>
            <source>the model needs about %1, more than the %2 of memory for models (raise it in Settings)</source>
            <translation>模型大约需要 %1，超过了 %2 的模型内存（可在“设置”中调高）</translation>
        </message>
        <message>
            <source>the sizes in this config are absurd (the model would need about %1 or more); is it a real model's config?</source>
            <translation>此配置中的尺寸不合常理（模型将需要约 %1 或更多）；这是真实模型的配置吗？</translation>
        </message>
        <message>
            <source>Answering in Chat</source>
            <translation>正在“对话”中回答</translation>
        </message>
        <message>
            <source>Reading the Q-Former</source>
            <translation>正在读取 Q-Former</translation>
        </message>
        <message>
            <source>Measuring which queries the answer used</source>
            <translation>正在测量回答用到了哪些查询</translation>
        </message>
    </context>
    <context>
        <name>ExplainController</name>
        <message>
            <source>%1 · frame at %2 s</source>
            <translation>%1 · 第 %2 秒的帧</translation>
        </message>
        <message>
            <source>The model list is still being searched…</source>
            <translation>仍在搜索模型列表…</translation>
        </message>
        <message>
            <source>Choose a CLIP model.</source>
            <translation>请选择一个 CLIP 模型。</translation>
        </message>
        <message>
            <source>Type what the image should be (“a red circle”) to see which patches make it so.</source>
            <translation>输入图像应当是什么（“a red circle”），查看是哪些图块让它如此。</translation>
        </message>
        <message>
            <source>Explaining %1</source>
            <translation>正在解释 %1</translation>
        </message>
        <message>
            <source>Starting…</source>
            <translation>正在启动…</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Decoding the frame…</source>
            <translation>正在解码该帧…</translation>
        </message>
        <message>
            <source>Explaining: %1 of %2 maps</source>
            <translation>正在解释：第 %1 张，共 %2 张图</translation>
        </message>
        <message>
            <source>Explaining…</source>
            <translation>正在解释…</translation>
        </message>
        <message>
            <source>Could not explain %1: %2</source>
            <translation>无法解释 %1：%2</translation>
        </message>
        <message>
            <source>head %1</source>
            <translation>头 %1</translation>
        </message>
        <message>
            <source>Nothing to export yet.</source>
            <translation>尚无可导出的内容。</translation>
        </message>
        <message>
            <source>Could not write %1.</source>
            <translation>无法写入 %1。</translation>
        </message>
        <message>
            <source>Saved the overlay (%1 × %2 px)</source>
            <translation>已保存叠加图（%1 × %2 像素）</translation>
        </message>
        <message>
            <source>%1 of the frame at %2 s to %3.</source>
            <translation>%1（第 %2 秒的帧）到 %3。</translation>
        </message>
        <message>
            <source>%1 to %2.</source>
            <translation>%1到 %2。</translation>
        </message>
        <message>
            <source>Saved the raw map (%1 × %2 patches)</source>
            <translation>已保存原始热图（%1 × %2 个图块）</translation>
        </message>
    </context>
    <context>
        <name>ExplainSettingsPage</name>
        <message>
            <source>CLIP model:</source>
            <translation>CLIP 模型：</translation>
        </message>
        <message>
            <source>Method</source>
            <translation>方法</translation>
        </message>
        <message>
            <source>Method:</source>
            <translation>方法：</translation>
        </message>
        <message>
            <source>Raw attention</source>
            <translation>原始注意力</translation>
        </message>
        <message>
            <source>Attention rollout</source>
            <translation>注意力展开（Rollout）</translation>
        </message>
        <message>
            <source>Relevance to a text</source>
            <translation>与文本的相关性</translation>
        </message>
        <message>
            <source>Layer:</source>
            <translation>层：</translation>
        </message>
        <message>
            <source>Heads:</source>
            <translation>注意力头：</translation>
        </message>
        <message>
            <source>Mean of the heads</source>
            <translation>各头的平均值</translation>
        </message>
        <message>
            <source>Max of the heads</source>
            <translation>各头的最大值</translation>
        </message>
        <message>
            <source>Min of the heads</source>
            <translation>各头的最小值</translation>
        </message>
        <message>
            <source>Head %1</source>
            <translation>头 %1</translation>
        </message>
        <message>
            <source>From:</source>
            <translation>来源：</translation>
        </message>
        <message>
            <source>CLS</source>
            <translation>CLS</translation>
        </message>
        <message>
            <source>Attention from the class token again</source>
            <translation>重新显示来自类别标记的注意力</translation>
        </message>
        <message>
            <source>Discard ratio:</source>
            <translation>丢弃比例：</translation>
        </message>
        <message>
            <source>Drop this fraction of the weakest fused attention weights in every layer</source>
            <translation>在每一层丢弃这一比例的最弱融合注意力权重</translation>
        </message>
        <message>
            <source>Why is this…</source>
            <translation>为什么这是…</translation>
        </message>
        <message>
            <source>e.g. a red circle</source>
            <translation>例如 a red circle</translation>
        </message>
        <message>
            <source>Display</source>
            <translation>显示</translation>
        </message>
        <message>
            <source>Colour map:</source>
            <translation>色图：</translation>
        </message>
        <message>
            <source>Jet</source>
            <translation>Jet</translation>
        </message>
        <message>
            <source>Inferno</source>
            <translation>Inferno</translation>
        </message>
        <message>
            <source>Viridis</source>
            <translation>Viridis</translation>
        </message>
        <message>
            <source>Grey</source>
            <translation>灰度</translation>
        </message>
        <message>
            <source>Opacity:</source>
            <translation>不透明度：</translation>
        </message>
        <message>
            <source>Show the patch grid</source>
            <translation>显示图块网格</translation>
        </message>
        <message>
            <source>Export PNG…</source>
            <translation>导出 PNG…</translation>
        </message>
        <message>
            <source>Save the image with the heatmap as PNG</source>
            <translation>将带热图的图像保存为 PNG</translation>
        </message>
        <message>
            <source>Export Map…</source>
            <translation>导出热图数据…</translation>
        </message>
        <message>
            <source>Save the raw, unscaled map as safetensors (tensor “map”, rows × columns)</source>
            <translation>将未缩放的原始热图保存为 safetensors（张量“map”，行 × 列）</translation>
        </message>
        <message>
            <source>%1 / %2</source>
            <translation>%1 / %2</translation>
        </message>
        <message>
            <source>last</source>
            <translation>最后一层</translation>
        </message>
        <message>
            <source>the class token (CLS)</source>
            <translation>类别标记（CLS）</translation>
        </message>
        <message>
            <source>the patch in row %1, column %2</source>
            <translation>第 %1 行、第 %2 列的图块</translation>
        </message>
        <message>
            <source>Click a patch in the image to see where it attends.</source>
            <translation>点击图像中的一个图块，查看它关注哪里。</translation>
        </message>
        <message>
            <source>Attention flow from the class token through every layer (Abnar &amp; Zuidema).</source>
            <translation>从类别标记出发、贯穿每一层的注意力流（Abnar 与 Zuidema）。</translation>
        </message>
        <message>
            <source>Gradient-weighted relevance of each patch to the image–text similarity (Chefer et al.).</source>
            <translation>每个图块对图文相似度的梯度加权相关性（Chefer 等）。</translation>
        </message>
        <message>
            <source>Export the Overlay</source>
            <translation>导出叠加图</translation>
        </message>
        <message>
            <source>PNG images (*.png)</source>
            <translation>PNG 图像 (*.png)</translation>
        </message>
        <message>
            <source>Export the Raw Map</source>
            <translation>导出原始热图</translation>
        </message>
        <message>
            <source>Safetensors files (*.safetensors)</source>
            <translation>Safetensors 文件 (*.safetensors)</translation>
        </message>
    </context>
    <context>
        <name>ExplainView</name>
        <message>
            <source>Per word</source>
            <translation>逐词</translation>
        </message>
        <message>
            <source>Relevance of each word on its own; click one to show it large.</source>
            <translation>每个词单独的相关性；点击一个以大图显示。</translation>
        </message>
        <message>
            <source>All heads of the layer</source>
            <translation>该层的所有注意力头</translation>
        </message>
        <message>
            <source>Each head scaled on its own; click one to show it large.</source>
            <translation>每个头单独缩放；点击一个以大图显示。</translation>
        </message>
        <message>
            <source>The colours span the map's raw minimum and maximum</source>
            <translation>颜色覆盖热图原始值的最小值到最大值</translation>
        </message>
        <message>
            <source>The frame of the video to explain</source>
            <translation>要解释的视频帧</translation>
        </message>
        <message>
            <source>%1 / %2 s</source>
            <translation>%1 / %2 秒</translation>
        </message>
        <message>
            <source>Head %1</source>
            <translation>头 %1</translation>
        </message>
        <message>
            <source>all words</source>
            <translation>所有词</translation>
        </message>
        <message>
            <source>%1, %2 × %3 patches</source>
            <translation>%1，%2 × %3 个图块</translation>
        </message>
        <message>
            <source>similarity %1</source>
            <translation>相似度 %1</translation>
        </message>
        <message>
            <source>%1 s</source>
            <translation>%1 秒</translation>
        </message>
        <message>
            <source>fast path max |Δ| %1</source>
            <translation>快速路径最大 |Δ| %1</translation>
        </message>
        <message>
            <source>The explicit path (fp32) differs from the fast path (%1 on %2) by at most this much</source>
            <translation>显式路径（fp32）与快速路径（%2 上的 %1）之差最多为此值</translation>
        </message>
        <message>
            <source>No map: the message above says why.</source>
            <translation>没有热图：原因见上方的消息。</translation>
        </message>
        <message>
            <source>Select an image in the gallery to see what the model looks at.</source>
            <translation>在图库中选择一张图像，查看模型在看什么。</translation>
        </message>
    </context>
    <context>
        <name>Format</name>
        <message numerus="yes">
            <source>about %n s left</source>
            <translation>
                <numerusform>约剩 %n 秒</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>about %n min left</source>
            <translation>
                <numerusform>约剩 %n 分钟</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>GalleryModel</name>
        <message>
            <source>Cannot open</source>
            <translation>无法打开</translation>
        </message>
        <message>
            <source>Cannot open this file:</source>
            <translation>无法打开此文件：</translation>
        </message>
    </context>
    <context>
        <name>GalleryView</name>
        <message>
            <source>Nothing matches the filter</source>
            <translation>没有符合筛选条件的文件</translation>
        </message>
        <message>
            <source>Clear the name filter or choose another kind.</source>
            <translation>请清除名称筛选，或选择其他类型。</translation>
        </message>
        <message>
            <source>Find Similar</source>
            <translation>查找相似</translation>
        </message>
        <message numerus="yes">
            <source>Open %n Files</source>
            <translation>
                <numerusform>打开 %n 个文件</numerusform>
            </translation>
        </message>
        <message>
            <source>Open</source>
            <translation>打开</translation>
        </message>
        <message>
            <source>Open with the application the system uses for this kind of file</source>
            <translation>用系统为此类文件设定的应用程序打开</translation>
        </message>
        <message>
            <source>Show in Folder</source>
            <translation>在文件夹中显示</translation>
        </message>
        <message>
            <source>Open the folder that holds it</source>
            <translation>打开它所在的文件夹</translation>
        </message>
        <message numerus="yes">
            <source>Copy %n Paths</source>
            <translation>
                <numerusform>复制 %n 个路径</numerusform>
            </translation>
        </message>
        <message>
            <source>Copy Path</source>
            <translation>复制路径</translation>
        </message>
        <message>
            <source>Copy the full path to the clipboard</source>
            <translation>将完整路径复制到剪贴板</translation>
        </message>
        <message numerus="yes">
            <source>Classify %n Photos</source>
            <translation>
                <numerusform>分类 %n 张照片</numerusform>
            </translation>
        </message>
        <message>
            <source>Classify</source>
            <translation>分类</translation>
        </message>
        <message>
            <source>Only photos are classified, not videos</source>
            <translation>只对照片分类，不对视频分类</translation>
        </message>
        <message>
            <source>Classify in the Classify panel</source>
            <translation>在分类面板中分类</translation>
        </message>
        <message>
            <source>Explain</source>
            <translation>解释</translation>
        </message>
        <message>
            <source>Show what the model looks at in the Attention panel</source>
            <translation>在注意力面板中查看模型关注的位置</translation>
        </message>
        <message>
            <source>Search the library for pictures like this one</source>
            <translation>在媒体库中搜索与此相似的图片</translation>
        </message>
        <message>
            <source>Only photos can be searched by</source>
            <translation>只能以照片为依据进行搜索</translation>
        </message>
        <message>
            <source>Open Files</source>
            <translation>打开文件</translation>
        </message>
        <message numerus="yes">
            <source>Open %n files, each in the application the system uses for it?</source>
            <translation>
                <numerusform>要打开 %n 个文件吗？每个文件都将用系统为其设定的应用程序打开。</numerusform>
            </translation>
        </message>
        <message>
            <source>No application could open these files:</source>
            <translation>没有应用程序能打开以下文件：</translation>
        </message>
        <message numerus="yes">
            <source>Open %n folders?</source>
            <translation>
                <numerusform>要打开 %n 个文件夹吗？</numerusform>
            </translation>
        </message>
        <message>
            <source>No file manager could open these folders:</source>
            <translation>没有文件管理器能打开以下文件夹：</translation>
        </message>
        <message>
            <source>Chat about This</source>
            <translation>就此对话</translation>
        </message>
        <message>
            <source>Ask a BLIP-2 about it in the Chat module</source>
            <translation>在“对话”模块中向 BLIP-2 提问</translation>
        </message>
    </context>
    <context>
        <name>GalleryWidget</name>
        <message>
            <source>Scanning %1</source>
            <translation>正在扫描 %1</translation>
        </message>
        <message>
            <source>Filter by name…</source>
            <translation>按名称筛选…</translation>
        </message>
        <message>
            <source>All media</source>
            <translation>全部媒体</translation>
        </message>
        <message>
            <source>Photos</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>Videos</source>
            <translation>视频</translation>
        </message>
        <message>
            <source>Show photos, videos or both</source>
            <translation>显示照片、视频或全部</translation>
        </message>
        <message>
            <source>Sort by name</source>
            <translation>按名称排序</translation>
        </message>
        <message>
            <source>Sort by date</source>
            <translation>按日期排序</translation>
        </message>
        <message>
            <source>Sort by size</source>
            <translation>按大小排序</translation>
        </message>
        <message>
            <source>Reverse the sort order</source>
            <translation>反转排序顺序</translation>
        </message>
        <message>
            <source>Drop photos and videos here</source>
            <translation>将照片和视频拖放到这里</translation>
        </message>
        <message>
            <source>Drag files or whole folders onto this window, or use File ▸ Open Folder…</source>
            <translation>把文件或整个文件夹拖到此窗口，或使用“文件 ▸ 打开文件夹…”</translation>
        </message>
        <message numerus="yes">
            <source>Scanning %n items</source>
            <translation>
                <numerusform>正在扫描 %n 项</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%1 of %n items</source>
            <translation>
                <numerusform>%1 / 共 %n 项</numerusform>
            </translation>
        </message>
        <message>
            <source>1 item</source>
            <translation>1 项</translation>
        </message>
        <message numerus="yes">
            <source>%n items</source>
            <translation>
                <numerusform>%n 项</numerusform>
            </translation>
        </message>
        <message>
            <source>Restoring the gallery</source>
            <translation>正在恢复图库</translation>
        </message>
    </context>
    <context>
        <name>GroundingController</name>
        <message>
            <source>Attention</source>
            <translation>注意力</translation>
        </message>
        <message>
            <source>Relevancy</source>
            <translation>相关性</translation>
        </message>
        <message>
            <source>Context-corrected</source>
            <translation>上下文校正</translation>
        </message>
        <message>
            <source>An answer is being written: ground it when it is done.</source>
            <translation>回答仍在生成：请在完成后再做定位。</translation>
        </message>
        <message>
            <source>This answer has no tokens to ground.</source>
            <translation>这个回答没有可定位的词元。</translation>
        </message>
        <message>
            <source>Only a LLaVA model's answers can be grounded.</source>
            <translation>只有 LLaVA 模型的回答可以逐词定位。</translation>
        </message>
        <message>
            <source>Grounding the answer…</source>
            <translation>正在逐词定位回答…</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Reading the picture…</source>
            <translation>正在读取图片…</translation>
        </message>
        <message>
            <source>Reading the question…</source>
            <translation>正在读取问题…</translation>
        </message>
        <message>
            <source>Asking again: %1 of at most %2 tokens</source>
            <translation>重新提问：第 %1 个词元，最多 %2 个</translation>
        </message>
        <message>
            <source>Grounding: %1 of %2 tokens</source>
            <translation>定位：%1 / %2 个词元</translation>
        </message>
        <message>
            <source>Asking again with the region hidden…</source>
            <translation>正在遮住该区域后重新提问…</translation>
        </message>
        <message>
            <source>The answer is empty: there is no word to ground.</source>
            <translation>回答为空：没有可定位的词。</translation>
        </message>
        <message>
            <source>Could not ground the answer: %1</source>
            <translation>无法定位回答：%1</translation>
        </message>
        <message>
            <source>Could not ask again: %1</source>
            <translation>无法重新提问：%1</translation>
        </message>
        <message>
            <source>Nothing to export yet: hover or click a word of the answer.</source>
            <translation>尚无可导出的内容：请悬停或点击回答中的一个词。</translation>
        </message>
        <message>
            <source>Could not write %1.</source>
            <translation>无法写入 %1。</translation>
        </message>
        <message>
            <source>Saved the map of “%1” (%2 × %3 px) to %4.</source>
            <translation>已将“%1”的热图（%2 × %3 像素）保存到 %4。</translation>
        </message>
        <message>
            <source>Nothing to export yet: no answer is grounded.</source>
            <translation>尚无可导出的内容：还没有定位过的回答。</translation>
        </message>
        <message>
            <source>No %1 maps to export.</source>
            <translation>没有可导出的%1热图。</translation>
        </message>
        <message numerus="yes">
            <source>Saved the maps of %n words (%1, %2 × %3 patches) to %4.</source>
            <translation>
                <numerusform>已将 %n 个词的热图（%1，%2 × %3 个图块）保存到 %4。</numerusform>
            </translation>
        </message>
        <message>
            <source>Hover or click a word of the answer first.</source>
            <translation>请先悬停或点击回答中的一个词。</translation>
        </message>
        <message numerus="yes">
            <source>Hid the %n patches where “%1” looked most.</source>
            <translation>
                <numerusform>已遮住“%1”最关注的 %n 个图块。</numerusform>
            </translation>
        </message>
        <message>
            <source>Ask a LLaVA model something first: the probe asks the same question again.</source>
            <translation>请先向 LLaVA 模型提一个问题：探查会再问一次同样的问题。</translation>
        </message>
        <message>
            <source>An answer is being written: wait for it to finish.</source>
            <translation>回答仍在生成：请等待完成。</translation>
        </message>
        <message>
            <source>Paint over a region of the picture, or hide a word's top patches, first.</source>
            <translation>请先在图片上涂抹一个区域，或遮住某个词最关注的图块。</translation>
        </message>
    </context>
    <context>
        <name>JobStatus</name>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Stop the current job</source>
            <translation>停止当前任务</translation>
        </message>
        <message numerus="yes">
            <source>%1 (+%n more)</source>
            <translation>
                <numerusform>%1（另有 %n 项）</numerusform>
            </translation>
        </message>
        <message>
            <source>paused at %v / %m</source>
            <translation>已暂停于 %v / %m</translation>
        </message>
        <message>
            <source>paused</source>
            <translation>已暂停</translation>
        </message>
        <message numerus="yes">
            <source>%n found</source>
            <translation>
                <numerusform>已找到 %n 个</numerusform>
            </translation>
        </message>
        <message>
            <source>Making thumbnails</source>
            <translation>正在生成缩略图</translation>
        </message>
    </context>
    <context>
        <name>LabelSets</name>
        <message>
            <source>Shapes World</source>
            <translation>形状世界</translation>
        </message>
        <message>
            <source>Enter at least two labels, one per line.</source>
            <translation>请至少输入两个标签，每行一个。</translation>
        </message>
        <message>
            <source>The label “%1” appears more than once.</source>
            <translation>标签“%1”出现了不止一次。</translation>
        </message>
        <message>
            <source>A prompt template cannot be empty.</source>
            <translation>提示词模板不能为空。</translation>
        </message>
        <message>
            <source>The prompt “%1” has no {} where the label goes.</source>
            <translation>提示词“%1”中没有表示标签位置的 {}。</translation>
        </message>
        <message>
            <source>Cannot read %1: %2</source>
            <translation>无法读取 %1：%2</translation>
        </message>
        <message>
            <source>Cannot write %1: %2</source>
            <translation>无法写入 %1：%2</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>Warning: %1</source>
            <translation>警告：%1</translation>
        </message>
        <message>
            <source>No photos or videos found there</source>
            <translation>未找到照片或视频</translation>
        </message>
        <message>
            <source>%1: cancelled</source>
            <translation>%1：已取消</translation>
        </message>
        <message>
            <source>%1 failed: %2</source>
            <translation>%1 失败：%2</translation>
        </message>
        <message>
            <source>Photos and videos (%1)</source>
            <translation>照片和视频 (%1)</translation>
        </message>
        <message>
            <source>All files (*)</source>
            <translation>所有文件 (*)</translation>
        </message>
        <message>
            <source>Open Files</source>
            <translation>打开文件</translation>
        </message>
        <message>
            <source>Open Folder</source>
            <translation>打开文件夹</translation>
        </message>
        <message>
            <source>About ModalLens</source>
            <translation>关于 ModalLens</translation>
        </message>
        <message>
            <source>Look inside multimodal models on your own machine: classify and search photos and videos, and see why the model answered as it did.</source>
            <translation>在自己的电脑上洞察多模态模型：对照片和视频进行分类与搜索，并看清模型为何给出这样的回答。</translation>
        </message>
        <message>
            <source>Built with Qt %1.</source>
            <translation>基于 Qt %1 构建。</translation>
        </message>
        <message>
            <source>ModalLens</source>
            <translation>ModalLens</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>视图(&amp;V)</translation>
        </message>
        <message>
            <source>&amp;Settings</source>
            <translation>设置(&amp;S)</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>帮助(&amp;H)</translation>
        </message>
        <message>
            <source>&amp;Open Files…</source>
            <translation>打开文件(&amp;O)…</translation>
        </message>
        <message>
            <source>Add photos and videos to the gallery</source>
            <translation>将照片和视频添加到图库</translation>
        </message>
        <message>
            <source>Open &amp;Folder…</source>
            <translation>打开文件夹(&amp;F)…</translation>
        </message>
        <message>
            <source>Add a folder and everything below it to the gallery</source>
            <translation>将文件夹及其所有子文件夹中的内容添加到图库</translation>
        </message>
        <message>
            <source>&amp;Clear Gallery</source>
            <translation>清空图库(&amp;C)</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <source>Filter by &amp;Name</source>
            <translation>按名称筛选(&amp;N)</translation>
        </message>
        <message>
            <source>F&amp;ull Screen</source>
            <translation>全屏(&amp;U)</translation>
        </message>
        <message>
            <source>&amp;Settings…</source>
            <translation>设置(&amp;S)…</translation>
        </message>
        <message>
            <source>&amp;About ModalLens</source>
            <translation>关于 ModalLens(&amp;A)</translation>
        </message>
        <message>
            <source>Added 1 file</source>
            <translation>已添加 1 个文件</translation>
        </message>
        <message numerus="yes">
            <source>Added %n files</source>
            <translation>
                <numerusform>已添加 %n 个文件</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Added %1 of %n files; the rest were already in the gallery</source>
            <translation>
                <numerusform>已添加 %n 个文件中的 %1 个；其余文件已在图库中</numerusform>
            </translation>
        </message>
        <message>
            <source>Sample Gallery</source>
            <translation>示例图库</translation>
        </message>
        <message>
            <source>Could not write the sample gallery.</source>
            <translation>无法写入示例图库。</translation>
        </message>
        <message>
            <source>The Fashion-MNIST samples were left out: its files are not installed.</source>
            <translation>未包含 Fashion-MNIST 示例：其数据文件未安装。</translation>
        </message>
        <message>
            <source>Some samples were left out.</source>
            <translation>部分示例未包含。</translation>
        </message>
        <message>
            <source>%1 is not a CLIP checkpoint the Classify panel can use</source>
            <translation>%1 不是分类面板可以使用的 CLIP 检查点</translation>
        </message>
        <message>
            <source>Writing the sample gallery</source>
            <translation>正在写入示例图库</translation>
        </message>
        <message>
            <source>Open &amp;Sample Gallery</source>
            <translation>打开示例图库(&amp;S)</translation>
        </message>
        <message>
            <source>Add a few Shapes World pictures and clips and Fashion-MNIST images to try ModalLens with</source>
            <translation>添加一些形状世界的图片和短片以及 Fashion-MNIST 图像，用来试用 ModalLens</translation>
        </message>
        <message>
            <source>%1 is not a UNet2DModel checkpoint the Diffusion panel can use</source>
            <translation>%1 不是扩散面板可用的 UNet2DModel 检查点</translation>
        </message>
        <message numerus="yes">
            <source>Restored the gallery of the last session: %n files</source>
            <translation>
                <numerusform>已恢复上次会话的图库：%n 个文件</numerusform>
            </translation>
        </message>
        <message>
            <source>Not found: %1</source>
            <translation>未找到：%1</translation>
        </message>
        <message>
            <source>Gallery</source>
            <translation>图库</translation>
        </message>
        <message numerus="yes">
            <source>%n of the folders and files open when ModalLens last closed could not be found.</source>
            <translation>
                <numerusform>ModalLens 上次关闭时打开的文件夹和文件中，有 %n 个找不到了。</numerusform>
            </translation>
        </message>
        <message>
            <source>They are left out of the gallery. When they are back, open them again (File ▸ Open Recent).</source>
            <translation>它们未放入图库。等它们恢复后，请重新打开（文件 ▸ 最近打开）。</translation>
        </message>
        <message>
            <source>Library</source>
            <translation>媒体库</translation>
        </message>
        <message>
            <source>&amp;Filmstrip</source>
            <translation>胶片栏(&amp;F)</translation>
        </message>
        <message>
            <source>The gallery as a strip along the bottom of every module but the Library</source>
            <translation>在媒体库以外的每个模块底部以胶片栏显示图库</translation>
        </message>
        <message>
            <source>&amp;Reset Layout</source>
            <translation>重置布局(&amp;R)</translation>
        </message>
        <message>
            <source>Every module's panels back to their first sizes, the filmstrip shown</source>
            <translation>每个模块的面板恢复到初始大小，并显示胶片栏</translation>
        </message>
    </context>
    <context>
        <name>MemoryStatus</name>
        <message>
            <source>Models: %1 · %2 of %3</source>
            <translation>模型：%1 · %2 / %3</translation>
        </message>
        <message>
            <source>Memory for models: %1 (Settings)</source>
            <translation>模型内存：%1（设置）</translation>
        </message>
        <message>
            <source>No model is loaded.</source>
            <translation>尚未加载任何模型。</translation>
        </message>
        <message>
            <source>%1 · in use</source>
            <translation>%1 · 使用中</translation>
        </message>
        <message>
            <source>Over the budget: every model loaded is in use; they are unloaded when their jobs end.</source>
            <translation>超出预算：已加载的模型都在使用中，任务结束后即会卸载。</translation>
        </message>
    </context>
    <context>
        <name>ModelPicker</name>
        <message>
            <source>Could not list the models: %1</source>
            <translation>无法列出模型：%1</translation>
        </message>
        <message>
            <source>Add a Model Folder</source>
            <translation>添加模型文件夹</translation>
        </message>
        <message>
            <source>Finding models</source>
            <translation>正在查找模型</translation>
        </message>
        <message>
            <source>Looking for models…</source>
            <translation>正在查找模型…</translation>
        </message>
        <message>
            <source>unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <source>%1 params</source>
            <translation>%1 参数</translation>
        </message>
        <message>
            <source>cannot be read</source>
            <translation>无法读取</translation>
        </message>
        <message>
            <source>%1
Not a %2 model: used by other panels</source>
            <translation>%1
不是 %2 模型：供其他面板使用</translation>
        </message>
        <message>
            <source>No %1 model found: add a folder</source>
            <translation>未找到 %1 模型：请添加文件夹</translation>
        </message>
        <message>
            <source>Put checkpoints in %1, add a folder that holds them, or download one into the Hugging Face cache</source>
            <translation>把检查点放到 %1，添加存放检查点的文件夹，或将其下载到 Hugging Face 缓存</translation>
        </message>
        <message>
            <source>built in</source>
            <translation>内置</translation>
        </message>
        <message>
            <source>app folder</source>
            <translation>应用文件夹</translation>
        </message>
        <message>
            <source>your folder</source>
            <translation>你的文件夹</translation>
        </message>
        <message>
            <source>Hugging Face cache</source>
            <translation>Hugging Face 缓存</translation>
        </message>
        <message>
            <source>Add folder…</source>
            <translation>添加文件夹…</translation>
        </message>
        <message>
            <source>Add a folder that holds checkpoints (Hugging Face layout)</source>
            <translation>添加存放检查点的文件夹（Hugging Face 格式）</translation>
        </message>
        <message>
            <source>Look for models again</source>
            <translation>重新查找模型</translation>
        </message>
    </context>
    <context>
        <name>PreviewPane</name>
        <message>
            <source>This is not a photo or video that ModalLens can open.</source>
            <translation>ModalLens 无法打开此类文件，它不是受支持的照片或视频。</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>正在加载…</translation>
        </message>
        <message>
            <source>The image is empty.</source>
            <translation>图像为空。</translation>
        </message>
        <message>
            <source>This file cannot be shown.</source>
            <translation>无法显示此文件。</translation>
        </message>
        <message>
            <source>%1 fps</source>
            <translation>%1 帧/秒</translation>
        </message>
        <message>
            <source>Preview</source>
            <translation>预览</translation>
        </message>
        <message>
            <source>Fit</source>
            <translation>适应窗口</translation>
        </message>
        <message>
            <source>Fit the picture to the pane (double-click toggles)</source>
            <translation>使图片适应窗格大小（双击切换）</translation>
        </message>
        <message>
            <source>100 %</source>
            <translation>100 %</translation>
        </message>
        <message>
            <source>Show the picture at its actual size</source>
            <translation>以实际大小显示图片</translation>
        </message>
        <message>
            <source>File size</source>
            <translation>文件大小</translation>
        </message>
        <message>
            <source>Dimensions</source>
            <translation>尺寸</translation>
        </message>
        <message>
            <source>Format</source>
            <translation>格式</translation>
        </message>
        <message>
            <source>Frame rate</source>
            <translation>帧率</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>时长</translation>
        </message>
        <message>
            <source>Modified</source>
            <translation>修改时间</translation>
        </message>
        <message>
            <source>Select a photo or video to preview it here.
Scroll to zoom, drag to pan.</source>
            <translation>选择照片或视频即可在此预览。
滚动鼠标滚轮缩放，拖动以平移。</translation>
        </message>
    </context>
    <context>
        <name>QFormerController</name>
        <message>
            <source>%1 · frame at %2 s</source>
            <translation>%1 · 第 %2 秒的帧</translation>
        </message>
        <message>
            <source>The model list is still being searched…</source>
            <translation>仍在搜索模型列表…</translation>
        </message>
        <message>
            <source>Choose a BLIP-2 model.</source>
            <translation>请选择一个 BLIP-2 模型。</translation>
        </message>
        <message>
            <source>Starting…</source>
            <translation>正在启动…</translation>
        </message>
        <message>
            <source>Measuring which queries the answer used…</source>
            <translation>正在测量回答用到了哪些查询…</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Measuring which queries the answer used: %1 of %2</source>
            <translation>正在测量回答用到了哪些查询：%1 / %2</translation>
        </message>
        <message>
            <source>Reading the picture…</source>
            <translation>正在读取图片…</translation>
        </message>
        <message>
            <source>Could not read the Q-Former for %1: %2</source>
            <translation>无法读取 %1 的 Q-Former：%2</translation>
        </message>
        <message>
            <source>Could not measure which queries the answer used: %1</source>
            <translation>无法测量回答用到了哪些查询：%1</translation>
        </message>
        <message>
            <source>“%1” → queries → patches</source>
            <translation>“%1” → 查询 → 图块</translation>
        </message>
        <message>
            <source>Query %1</source>
            <translation>查询 %1</translation>
        </message>
    </context>
    <context>
        <name>QFormerPanel</name>
        <message>
            <source>Q-Former</source>
            <translation>Q-Former</translation>
        </message>
    </context>
    <context>
        <name>QFormerSettingsPage</name>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Maps</source>
            <translation>热图</translation>
        </message>
        <message>
            <source>Cross-attention</source>
            <translation>交叉注意力</translation>
        </message>
        <message>
            <source>The Q-Former layer whose cross-attention to the image is drawn, or their mean</source>
            <translation>绘制其对图像交叉注意力的 Q-Former 层，或各层的平均</translation>
        </message>
        <message>
            <source>Heads</source>
            <translation>注意力头</translation>
        </message>
        <message>
            <source>Answer words</source>
            <translation>回答中的词</translation>
        </message>
        <message>
            <source>The language model's layer whose attention from an answer word to the queries weights their maps, or the mean over layers (heads: their mean)</source>
            <translation>用语言模型哪一层从回答词到各查询的注意力来加权查询的热图，或各层的平均（注意力头取平均）</translation>
        </message>
        <message>
            <source>Display</source>
            <translation>显示</translation>
        </message>
        <message>
            <source>Colour map</source>
            <translation>颜色映射</translation>
        </message>
        <message>
            <source>Jet</source>
            <translation>Jet</translation>
        </message>
        <message>
            <source>Inferno</source>
            <translation>Inferno</translation>
        </message>
        <message>
            <source>Viridis</source>
            <translation>Viridis</translation>
        </message>
        <message>
            <source>Grey</source>
            <translation>灰度</translation>
        </message>
        <message>
            <source>Opacity</source>
            <translation>不透明度</translation>
        </message>
        <message>
            <source>Patch grid</source>
            <translation>图块网格</translation>
        </message>
        <message>
            <source>Mean of the layers</source>
            <translation>各层的平均</translation>
        </message>
        <message>
            <source>Layer %1</source>
            <translation>第 %1 层</translation>
        </message>
        <message>
            <source>Mean of the heads</source>
            <translation>各头的平均值</translation>
        </message>
        <message>
            <source>Max of the heads</source>
            <translation>各头的最大值</translation>
        </message>
        <message>
            <source>Head %1</source>
            <translation>头 %1</translation>
        </message>
        <message>
            <source>Through the vision tower</source>
            <translation>经由视觉塔回溯</translation>
        </message>
        <message>
            <source>Carry each map back through the vision tower's attention rollout onto the input patches: the queries attend to the tower's output tokens, which may hold what other patches show</source>
            <translation>将每张图经视觉塔的注意力展开（rollout）映射回输入图块：查询关注的是视觉塔的输出标记，其中可能包含其他图块的内容</translation>
        </message>
    </context>
    <context>
        <name>QFormerView</name>
        <message>
            <source>Queries</source>
            <translation>查询</translation>
        </message>
        <message>
            <source>Similarity</source>
            <translation>相似度</translation>
        </message>
        <message>
            <source>The Answer</source>
            <translation>回答</translation>
        </message>
        <message>
            <source>What each learnt query looks at (each map scaled on its own); click one to show it large.</source>
            <translation>每个学习到的查询关注的位置（每张热图单独缩放）；点击一个可放大显示。</translation>
        </message>
        <message>
            <source>Cosine similarity of the output query embeddings: near 1 off the diagonal, two queries carry the same thing. Click a row for its query.</source>
            <translation>输出查询嵌入的余弦相似度：对角线以外接近 1 时，两个查询携带的是同样的信息。点击一行查看对应的查询。</translation>
        </message>
        <message>
            <source>Show the Answer's Picture</source>
            <translation>显示回答所针对的图片</translation>
        </message>
        <message>
            <source>Hover or click a word: its map through the queries the language model attended to.</source>
            <translation>悬停或点击一个词：显示经由语言模型所关注的查询得到的热图。</translation>
        </message>
        <message>
            <source>How much less likely the answer becomes when one query is zeroed, the largest drop first. Click a bar for that query's map.</source>
            <translation>将某个查询置零后回答的可能性降低多少，降幅最大的在前。点击柱条查看该查询的热图。</translation>
        </message>
        <message>
            <source>The colours span the map's raw minimum and maximum</source>
            <translation>颜色覆盖热图原始值的最小值到最大值</translation>
        </message>
        <message>
            <source>Query %1</source>
            <translation>查询 %1</translation>
        </message>
        <message>
            <source>%1, %2 queries, %3 × %4 patches</source>
            <translation>%1，%2 个查询，%3 × %4 个图块</translation>
        </message>
        <message>
            <source>“%1” → “%2”</source>
            <translation>“%1” → “%2”</translation>
        </message>
        <message>
            <source>No answer yet: ask something in Chat.</source>
            <translation>还没有回答：请在“对话”中提问。</translation>
        </message>
        <message>
            <source>The last answer in Chat is about another picture (or frame, or model).</source>
            <translation>“对话”中的最后一个回答针对的是另一张图片（或另一帧、另一个模型）。</translation>
        </message>
        <message>
            <source>Waiting for this picture's Q-Former…</source>
            <translation>正在等待这张图片的 Q-Former…</translation>
        </message>
        <message>
            <source>No maps: the message above says why.</source>
            <translation>没有热图：原因见上方消息。</translation>
        </message>
        <message>
            <source>Select a picture in the gallery to see what each query of the Q-Former looks at.</source>
            <translation>在图库中选择一张图片，查看 Q-Former 的每个查询关注的位置。</translation>
        </message>
    </context>
    <context>
        <name>RecentMenu</name>
        <message>
            <source>(not found)</source>
            <translation>（未找到）</translation>
        </message>
        <message>
            <source>%1 no longer exists</source>
            <translation>%1 已不存在</translation>
        </message>
        <message>
            <source>&amp;Clear Menu</source>
            <translation>清除菜单(&amp;C)</translation>
        </message>
        <message>
            <source>Open &amp;Recent</source>
            <translation>最近打开(&amp;R)</translation>
        </message>
    </context>
    <context>
        <name>RunStatusBox</name>
        <message>
            <source>Resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Start</source>
            <translation>开始</translation>
        </message>
        <message>
            <source>Train a DDPM diffusion model with these settings</source>
            <translation>用这些设置训练 DDPM 扩散模型</translation>
        </message>
        <message>
            <source>Train a CLIP model with these settings</source>
            <translation>用这些设置训练一个 CLIP 模型</translation>
        </message>
        <message>
            <source>Pause between two steps, or carry on</source>
            <translation>在两步之间暂停，或继续训练</translation>
        </message>
        <message>
            <source>Stop</source>
            <translation>停止</translation>
        </message>
        <message>
            <source>End the run now: draw samples, save a checkpoint, then stop (it can be continued later)</source>
            <translation>立即结束本次训练：生成样本、保存检查点后停止（之后可以继续）</translation>
        </message>
        <message>
            <source>End the run now: evaluate, save a checkpoint, then stop (it can be continued later)</source>
            <translation>立即结束运行：先评估并保存检查点，然后停止（之后可以继续）</translation>
        </message>
        <message>
            <source>Open in Diffusion</source>
            <translation>在扩散面板中打开</translation>
        </message>
        <message>
            <source>Watch this model denoise step by step in the Diffusion panel</source>
            <translation>在扩散面板中观看此模型逐步去噪</translation>
        </message>
        <message>
            <source>Step</source>
            <translation>步数</translation>
        </message>
        <message>
            <source>Loss</source>
            <translation>损失</translation>
        </message>
        <message>
            <source>Steps/s</source>
            <translation>步/秒</translation>
        </message>
        <message>
            <source>Images/s</source>
            <translation>图像/秒</translation>
        </message>
        <message>
            <source>Left</source>
            <translation>剩余</translation>
        </message>
        <message>
            <source>Elapsed</source>
            <translation>已用</translation>
        </message>
        <message>
            <source>Precision</source>
            <translation>精度</translation>
        </message>
        <message>
            <source>Held-out</source>
            <translation>留出集</translation>
        </message>
        <message>
            <source>Training time of this session, pauses excluded</source>
            <translation>本次训练所用时间，不含暂停</translation>
        </message>
        <message>
            <source>Zero-shot accuracy at the last evaluation, with the number of held-out images it was measured on</source>
            <translation>最近一次评估的零样本准确率，以及测量所用的留出图像数量</translation>
        </message>
        <message>
            <source>Train a BLIP-2 model with these settings</source>
            <translation>用这些设置训练一个 BLIP-2 模型</translation>
        </message>
        <message>
            <source>Train a LLaVA model with these settings</source>
            <translation>用这些设置训练一个 LLaVA 模型</translation>
        </message>
    </context>
    <context>
        <name>RunsPage</name>
        <message>
            <source>In TensorBoard: %1</source>
            <translation>在 TensorBoard 中查看：%1</translation>
        </message>
        <message>
            <source>%1 · step %2 · training</source>
            <translation>%1 · 第 %2 步 · 训练中</translation>
        </message>
        <message>
            <source>%1 · step %2</source>
            <translation>%1 · 第 %2 步</translation>
        </message>
        <message>
            <source>%1 · step %2 · saved %3</source>
            <translation>%1 · 第 %2 步 · 保存于 %3</translation>
        </message>
        <message>
            <source>Runs on the plots:</source>
            <translation>图中的运行：</translation>
        </message>
        <message>
            <source>Add run…</source>
            <translation>添加运行…</translation>
        </message>
        <message>
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <source>Take the run off the plots (its folder stays on disk)</source>
            <translation>从图中移除该运行（其文件夹仍保留在磁盘上）</translation>
        </message>
        <message>
            <source>Checkpoints:</source>
            <translation>检查点：</translation>
        </message>
        <message>
            <source>Open in Classify</source>
            <translation>在分类中打开</translation>
        </message>
        <message>
            <source>Classify with this checkpoint (double-click does the same)</source>
            <translation>用这个检查点进行分类（双击效果相同）</translation>
        </message>
        <message>
            <source>Open in Diffusion</source>
            <translation>在扩散面板中打开</translation>
        </message>
        <message>
            <source>Denoise step by step with this checkpoint (double-click does the same)</source>
            <translation>用此检查点逐步去噪（双击效果相同）</translation>
        </message>
        <message>
            <source>Show folder</source>
            <translation>显示文件夹</translation>
        </message>
    </context>
    <context>
        <name>SampleGrid</name>
        <message>
            <source>The held-out samples and the model's guesses appear here after the first evaluation.</source>
            <translation>第一次评估后，这里会显示留出样本和模型的猜测。</translation>
        </message>
        <message>
            <source>True: %1</source>
            <translation>真实：%1</translation>
        </message>
        <message>
            <source>Predicted: %1 (%2)</source>
            <translation>预测：%1（%2）</translation>
        </message>
        <message>
            <source>Samples drawn from the model appear here after the first sample grid.</source>
            <translation>第一次生成样本网格后，模型画出的样本会显示在这里。</translation>
        </message>
        <message>
            <source>Question: %1</source>
            <translation>问题：%1</translation>
        </message>
    </context>
    <context>
        <name>SamplesPage</name>
        <message>
            <source>Saved in the run folder as %1.</source>
            <translation>已保存到训练文件夹中的 %1。</translation>
        </message>
        <message>
            <source>Waiting for the first evaluation…</source>
            <translation>正在等待第一次评估…</translation>
        </message>
        <message>
            <source>Waiting for the first sample grid…</source>
            <translation>正在等待第一个样本网格…</translation>
        </message>
        <message>
            <source>Samples the model draws at step %1, from the same starting noise at every sample grid so that they can be compared.</source>
            <translation>模型在第 %1 步画出的样本；每次样本网格都使用相同的初始噪声，便于比较。</translation>
        </message>
        <message>
            <source>Held-out samples at step %1: the model's top guess is right for %2 of these %3.</source>
            <translation>第 %1 步的留出样本：在这 %3 个中，模型的首选答案答对 %2 个。</translation>
        </message>
        <message>
            <source>On the whole held-out set: %1.</source>
            <translation>在整个留出集上：%1。</translation>
        </message>
        <message>
            <source>A fixed set of held-out images: the first of each held-out colour-shape pair, two other pairs and two garments.</source>
            <translation>一组固定的留出图像：每个留出颜色-形状组合的第一张、另外两个组合以及两件服饰。</translation>
        </message>
        <message>
            <source>Images the model draws from the same starting noise at each sample grid and at the end: watch garments form as it learns.</source>
            <translation>每次生成样本网格时及训练结束时，模型从相同的初始噪声画出的图像：可以看到服饰随着学习逐渐成形。</translation>
        </message>
        <message>
            <source>Held-out questions at step %1: the model's answer is right for %2 of these %3.</source>
            <translation>第 %1 步的留出问题：在这 %3 个中，模型答对 %2 个。</translation>
        </message>
        <message>
            <source>Questions from the held-out sets (Shapes World scenes, garments) with the model's answers.</source>
            <translation>留出集中的问题（Shapes World 场景、服装）及模型的回答。</translation>
        </message>
        <message>
            <source>Questions and captions from the held-out Shapes World sets with the model's answers.</source>
            <translation>留出的 Shapes World 集合中的问题和图片描述，及模型的回答。</translation>
        </message>
    </context>
    <context>
        <name>SchedulePlot</name>
        <message>
            <source>β_t</source>
            <translation>β_t</translation>
        </message>
        <message>
            <source>ᾱ_t</source>
            <translation>ᾱ_t</translation>
        </message>
        <message>
            <source>SNR (right, log)</source>
            <translation>信噪比（右轴，对数）</translation>
        </message>
        <message>
            <source>timestep t</source>
            <translation>时间步 t</translation>
        </message>
        <message>
            <source>β_t, ᾱ_t</source>
            <translation>β_t, ᾱ_t</translation>
        </message>
        <message>
            <source>SNR = ᾱ / (1 − ᾱ)</source>
            <translation>信噪比 SNR = ᾱ / (1 − ᾱ)</translation>
        </message>
    </context>
    <context>
        <name>SearchController</name>
        <message>
            <source>The model list is still being searched: try again in a moment.</source>
            <translation>仍在搜索模型列表：请稍后再试。</translation>
        </message>
        <message>
            <source>Choose a CLIP model first.</source>
            <translation>请先选择一个 CLIP 模型。</translation>
        </message>
        <message>
            <source>Indexed in %1 s: %2 embedded, %3 unchanged, %4 moved, %5 removed, %6 failed.</source>
            <translation>索引用时 %1 秒：嵌入 %2 个，未更改 %3 个，移动 %4 个，移除 %5 个，失败 %6 个。</translation>
        </message>
        <message numerus="yes">
            <source>%n video frame(s), %1 at scene changes.</source>
            <translation>
                <numerusform>%n 个视频帧，其中 %1 个取自场景切换处。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>No match in %n vector(s).</source>
            <translation>
                <numerusform>在 %n 个向量中没有匹配项。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%1 best of %n vector(s)</source>
            <translation>
                <numerusform>在 %n 个向量中最佳的 %1 个</numerusform>
            </translation>
        </message>
        <message>
            <source>index</source>
            <translation>索引</translation>
        </message>
        <message>
            <source>approximate (%1, recall@10 %2)</source>
            <translation>近似搜索（%1，recall@10 %2）</translation>
        </message>
        <message>
            <source>approximate (%1)</source>
            <translation>近似搜索（%1）</translation>
        </message>
        <message>
            <source>Building the fast index in the background; exact search meanwhile.</source>
            <translation>正在后台构建快速索引；在此期间使用精确搜索。</translation>
        </message>
        <message numerus="yes">
            <source>No near-duplicates among %n file(s).</source>
            <translation>
                <numerusform>在 %n 个文件中没有找到近似重复。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%1 group(s) among %n file(s): click one to open it.</source>
            <translation>
                <numerusform>在 %n 个文件中找到 %1 组：点击文件即可打开。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n pair(s) with similar vectors but different pictures were left apart.</source>
            <translation>
                <numerusform>%n 对向量相似但画面不同的文件未被分组。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n file(s) could not be read to compare: %1</source>
            <translation>
                <numerusform>%n 个文件无法读取以进行比较：%1</numerusform>
            </translation>
        </message>
        <message>
            <source>Re-index the library with this model to search it.</source>
            <translation>请用此模型重新索引媒体库后再搜索。</translation>
        </message>
        <message>
            <source>Not found: %1</source>
            <translation>未找到：%1</translation>
        </message>
        <message>
            <source>No folder to index.</source>
            <translation>没有要索引的文件夹。</translation>
        </message>
        <message>
            <source>Cannot create the library's folder: %1</source>
            <translation>无法创建媒体库所在的文件夹：%1</translation>
        </message>
        <message>
            <source>Updating the library: %1</source>
            <translation>正在更新媒体库：%1</translation>
        </message>
        <message>
            <source>Indexing: %1</source>
            <translation>正在建立索引：%1</translation>
        </message>
        <message>
            <source>Type what to find, or use an image.</source>
            <translation>请输入要查找的内容，或使用一张图像。</translation>
        </message>
        <message>
            <source>The library is empty: index the gallery's folders first.</source>
            <translation>媒体库为空：请先索引图库文件夹。</translation>
        </message>
        <message>
            <source>The date range ends (%1) before it starts (%2).</source>
            <translation>日期范围的结束日期（%1）早于开始日期（%2）。</translation>
        </message>
        <message>
            <source>Searching…</source>
            <translation>正在搜索…</translation>
        </message>
        <message>
            <source>Comparing the library's files…</source>
            <translation>正在比较媒体库中的文件…</translation>
        </message>
        <message>
            <source>%1 (%2 of %3)…</source>
            <translation>%1（%2 / %3）…</translation>
        </message>
        <message>
            <source>The model changed since this library was indexed: its old vectors were replaced.</source>
            <translation>自上次索引以来模型已更改：旧向量已被替换。</translation>
        </message>
        <message numerus="yes">
            <source>Could not read %n file(s):</source>
            <translation>
                <numerusform>无法读取 %n 个文件：</numerusform>
            </translation>
        </message>
        <message>
            <source>Indexing cancelled: what was embedded is kept.</source>
            <translation>索引已取消：已嵌入的内容会保留。</translation>
        </message>
        <message>
            <source>Indexing failed.</source>
            <translation>索引失败。</translation>
        </message>
        <message>
            <source>Indexing failed: %1</source>
            <translation>索引失败：%1</translation>
        </message>
        <message>
            <source>Search cancelled.</source>
            <translation>搜索已取消。</translation>
        </message>
        <message>
            <source>Search failed: %1</source>
            <translation>搜索失败：%1</translation>
        </message>
        <message>
            <source>Cancelled.</source>
            <translation>已取消。</translation>
        </message>
        <message>
            <source>Finding near-duplicates failed: %1</source>
            <translation>查找近似重复失败：%1</translation>
        </message>
        <message>
            <source>Relevance maps need a text query: this search is by image only.</source>
            <translation>相关性图需要文本查询：本次搜索仅按图像进行。</translation>
        </message>
        <message>
            <source>Explaining the hits: %1 of %2…</source>
            <translation>正在解释结果：第 %1 个，共 %2 个…</translation>
        </message>
        <message>
            <source>Could not explain %1: %2</source>
            <translation>无法解释 %1：%2</translation>
        </message>
    </context>
    <context>
        <name>SearchDuplicatesPage</name>
        <message>
            <source>Vector similarity ≥</source>
            <translation>向量相似度 ≥</translation>
        </message>
        <message>
            <source>Files whose CLIP vectors are at least this similar (cosine) are candidates. Each candidate is then confirmed by its picture: their perceptual hashes may differ in at most %1 of 64 bits (a re-encoded or resized copy differs in 0 to 2, two different coats in 10 or more), so different pictures that a small model finds alike are not grouped. Videos are compared at 25, 50 and 75 % of their length.</source>
            <translation>CLIP 向量相似度（余弦）不低于此值的文件为候选。每个候选再由画面确认：两者的感知哈希在 64 位中最多相差 %1 位（重新编码或缩放的副本相差 0 到 2 位，两件不同的外套相差 10 位以上），因此小模型认为相像的不同画面不会被分为一组。视频在其时长的 25%、50% 和 75% 处比较。</translation>
        </message>
        <message>
            <source>Find near-duplicates</source>
            <translation>查找近似重复</translation>
        </message>
        <message>
            <source>Group the library's files whose pictures are nearly the same: similar vectors, confirmed by comparing the pictures (the filters apply)</source>
            <translation>将媒体库中画面几乎相同的文件分组：向量相似，并经画面比较确认（筛选条件同样适用）</translation>
        </message>
    </context>
    <context>
        <name>SearchPanel</name>
        <message>
            <source>Select a photo in the gallery first.</source>
            <translation>请先在图库中选择一张照片。</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>搜索</translation>
        </message>
        <message>
            <source>The gallery is empty: open a folder first, or add one here.</source>
            <translation>图库为空：请先打开一个文件夹，或在此处添加。</translation>
        </message>
        <message>
            <source>Near-duplicates</source>
            <translation>近似重复</translation>
        </message>
        <message>
            <source>Only photos can be searched by: %1</source>
            <translation>只能以照片作为搜索条件：%1</translation>
        </message>
        <message>
            <source>Results</source>
            <translation>结果</translation>
        </message>
    </context>
    <context>
        <name>SearchResultsPage</name>
        <message>
            <source>Why did this match?</source>
            <translation>为什么匹配？</translation>
        </message>
        <message>
            <source>Draw the text query's relevance map over each hit: where the model sees the words</source>
            <translation>在每个结果上绘制文本查询的相关性图：模型在哪里看到了这些词</translation>
        </message>
        <message>
            <source>Type what to find (“a yellow circle”) or use an image, then Search. The library is made on the Library tab.</source>
            <translation>输入要查找的内容（“a yellow circle”）或使用一张图像，然后点击“搜索”。媒体库在“媒体库”标签页中建立。</translation>
        </message>
    </context>
    <context>
        <name>SearchResultsView</name>
        <message>
            <source>%1, best moment at %2</source>
            <translation>%1，最佳时刻在 %2</translation>
        </message>
        <message>
            <source>video</source>
            <translation>视频</translation>
        </message>
        <message>
            <source>image</source>
            <translation>图片</translation>
        </message>
        <message>
            <source>Open in Preview</source>
            <translation>在预览中打开</translation>
        </message>
        <message>
            <source>Find Similar</source>
            <translation>查找相似</translation>
        </message>
        <message>
            <source>%1 s</source>
            <comment>seconds</comment>
            <translation>%1 秒</translation>
        </message>
    </context>
    <context>
        <name>SearchSidePanel</name>
        <message>
            <source>Library File</source>
            <translation>媒体库文件</translation>
        </message>
        <message>
            <source>Libraries (*.db)</source>
            <translation>媒体库 (*.db)</translation>
        </message>
        <message>
            <source>Add a Folder to the Library</source>
            <translation>向媒体库添加文件夹</translation>
        </message>
        <message>
            <source>Hide files</source>
            <translation>隐藏文件</translation>
        </message>
        <message>
            <source>Show files</source>
            <translation>显示文件</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>搜索</translation>
        </message>
        <message>
            <source>Library</source>
            <translation>媒体库</translation>
        </message>
        <message>
            <source>Query</source>
            <translation>查询</translation>
        </message>
        <message>
            <source>Filters</source>
            <translation>筛选</translation>
        </message>
        <message>
            <source>Model:</source>
            <translation>模型：</translation>
        </message>
        <message>
            <source>Library:</source>
            <translation>媒体库：</translation>
        </message>
        <message>
            <source>Choose the library file</source>
            <translation>选择媒体库文件</translation>
        </message>
        <message>
            <source>Index gallery folders</source>
            <translation>索引图库文件夹</translation>
        </message>
        <message>
            <source>Add the gallery's folders to the library, embedding only new or changed files</source>
            <translation>将图库的文件夹加入媒体库，仅嵌入新增或已更改的文件</translation>
        </message>
        <message>
            <source>Add folder…</source>
            <translation>添加文件夹…</translation>
        </message>
        <message>
            <source>Re-index</source>
            <translation>重新索引</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Keep folders up to date</source>
            <translation>保持文件夹同步更新</translation>
        </message>
        <message>
            <source>While ModalLens runs, index new, changed and removed files in the library's folders</source>
            <translation>ModalLens 运行期间，为媒体库文件夹中新增、修改和删除的文件更新索引</translation>
        </message>
        <message>
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>Text:</source>
            <translation>文本：</translation>
        </message>
        <message>
            <source>e.g. a red circle, or drop an image</source>
            <translation>例如：a red circle，或拖入一张图片</translation>
        </message>
        <message>
            <source>Image:</source>
            <translation>图像：</translation>
        </message>
        <message>
            <source>Use selected image</source>
            <translation>使用所选图像</translation>
        </message>
        <message>
            <source>Search by the gallery's selected photo (or drop an image file on the panel)</source>
            <translation>按图库中选中的照片搜索（也可将图片文件拖到面板上）</translation>
        </message>
        <message>
            <source>No image query</source>
            <translation>不使用图像查询</translation>
        </message>
        <message>
            <source>Text weight:</source>
            <translation>文本权重：</translation>
        </message>
        <message>
            <source>With both a text and an image: how much the text counts</source>
            <translation>同时使用文本和图像时：文本所占的比重</translation>
        </message>
        <message>
            <source>Results:</source>
            <translation>结果数：</translation>
        </message>
        <message>
            <source>Video score:</source>
            <translation>视频评分：</translation>
        </message>
        <message>
            <source>Mean of frames</source>
            <translation>各帧平均</translation>
        </message>
        <message>
            <source>Best frame</source>
            <translation>最佳帧</translation>
        </message>
        <message>
            <source>Best moment</source>
            <translation>最佳时刻</translation>
        </message>
        <message>
            <source>How a video is ranked against the query. Best moment: the mean similarity of the frames around its best one, so a clip where the query shows for a second ranks by that second. Best frame: that one frame alone. Mean of frames: the whole clip, where a brief match is diluted.</source>
            <translation>视频与查询的排序方式。最佳时刻：最佳帧前后各帧的平均相似度，因此查询内容只出现一秒的片段按那一秒排序。最佳帧：只看那一帧。帧平均：整段视频，短暂的匹配会被稀释。</translation>
        </message>
        <message>
            <source>Kind:</source>
            <translation>类型：</translation>
        </message>
        <message>
            <source>Images and videos</source>
            <translation>图片和视频</translation>
        </message>
        <message>
            <source>Images</source>
            <translation>图片</translation>
        </message>
        <message>
            <source>Videos</source>
            <translation>视频</translation>
        </message>
        <message>
            <source>Folder:</source>
            <translation>文件夹：</translation>
        </message>
        <message>
            <source>Any folder</source>
            <translation>任意文件夹</translation>
        </message>
        <message>
            <source>Modified:</source>
            <translation>修改日期：</translation>
        </message>
        <message>
            <source>Any date</source>
            <translation>任意日期</translation>
        </message>
        <message>
            <source>Modified on or after this day</source>
            <translation>在此日期当天或之后修改</translation>
        </message>
        <message>
            <source>Modified on or before this day</source>
            <translation>在此日期当天或之前修改</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message numerus="yes">
            <source>%n file(s) have suspicious vectors (%1 checked): the model may be broken, or these files may be blank or unreadable.</source>
            <translation>
                <numerusform>%n 个文件的向量可疑（共检查 %1 个）：模型可能已损坏，或这些文件为空白或无法读取。</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <source>System (%1)</source>
            <translation>跟随系统（%1）</translation>
        </message>
        <message>
            <source>The interface switches at once; the choice is remembered.</source>
            <translation>界面会立即切换，并记住此选择。</translation>
        </message>
        <message>
            <source>Appearance</source>
            <translation>外观</translation>
        </message>
        <message>
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <source>System colours</source>
            <translation>系统配色</translation>
        </message>
        <message>
            <source>Thumbnail cache</source>
            <translation>缩略图缓存</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Memory for models</source>
            <translation>模型内存</translation>
        </message>
        <message>
            <source>Loaded models are kept up to this size, the least recently used unloaded first; a model whose config.json says it needs more is refused. Default here: %1 (half the free memory).</source>
            <translation>已加载的模型在此大小内保留，最久未用的先卸载；config.json 表明需要更多内存的模型会被拒绝。本机默认：%1（空闲内存的一半）。</translation>
        </message>
    </context>
    <context>
        <name>SimilarityPlot</name>
        <message>
            <source>query</source>
            <translation>查询</translation>
        </message>
        <message>
            <source>cosine similarity</source>
            <translation>余弦相似度</translation>
        </message>
    </context>
    <context>
        <name>SimilarityStrip</name>
        <message>
            <source>Time (s)</source>
            <translation>时间（秒）</translation>
        </message>
        <message>
            <source>Similarity over time, best at %1 (moment %2–%3): click to play from there</source>
            <translation>相似度随时间变化，最佳于 %1（时刻 %2–%3）：点击即从该处播放</translation>
        </message>
        <message>
            <source>Similarity over time: click to play from there</source>
            <translation>相似度随时间变化：点击即从该处播放</translation>
        </message>
    </context>
    <context>
        <name>ThumbnailLoader</name>
        <message>
            <source>empty image</source>
            <translation>图像为空</translation>
        </message>
    </context>
    <context>
        <name>TrainingController</name>
        <message>
            <source>A run is already going: stop it first.</source>
            <translation>已有一次运行正在进行：请先停止它。</translation>
        </message>
        <message>
            <source>Fashion-MNIST was not found, so this run trains and evaluates on Shapes World only.</source>
            <translation>未找到 Fashion-MNIST，本次运行只在形状世界上训练和评估。</translation>
        </message>
        <message>
            <source>Stopped at step %1 of %2; the checkpoint is in %3.</source>
            <translation>已在第 %1 步（共 %2 步）停止；检查点位于 %3。</translation>
        </message>
        <message>
            <source>Finished %1 steps in %2; the model is in %3.</source>
            <translation>已用 %2 完成 %1 步；模型位于 %3。</translation>
        </message>
        <message>
            <source>Cancelled at step %1; the checkpoint of that step is in %2.</source>
            <translation>已在第 %1 步取消；该步的检查点位于 %2。</translation>
        </message>
        <message>
            <source>Cancelled before the first checkpoint.</source>
            <translation>在第一个检查点之前已取消。</translation>
        </message>
        <message>
            <source>Training failed: %1</source>
            <translation>训练失败：%1</translation>
        </message>
        <message>
            <source>Stopping: drawing samples and saving a checkpoint…</source>
            <translation>正在停止：生成样本并保存检查点…</translation>
        </message>
        <message>
            <source>Stopping: evaluating and saving a checkpoint…</source>
            <translation>正在停止：评估并保存检查点…</translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>Pausing after this step…</source>
            <translation>本步结束后暂停…</translation>
        </message>
        <message>
            <source>Loading the data…</source>
            <translation>正在加载数据…</translation>
        </message>
        <message>
            <source>Learning the tokenizer…</source>
            <translation>正在学习分词器…</translation>
        </message>
        <message>
            <source>Preparing the held-out set…</source>
            <translation>正在准备留出集…</translation>
        </message>
        <message>
            <source>Evaluating on the held-out set…</source>
            <translation>正在留出集上评估…</translation>
        </message>
        <message>
            <source>Drawing the sample grid…</source>
            <translation>正在生成样本网格…</translation>
        </message>
        <message>
            <source>Saving a checkpoint…</source>
            <translation>正在保存检查点…</translation>
        </message>
        <message>
            <source>Training</source>
            <translation>训练</translation>
        </message>
        <message>
            <source>Starting…</source>
            <translation>正在启动…</translation>
        </message>
        <message>
            <source>Finished</source>
            <translation>已完成</translation>
        </message>
        <message>
            <source>Stopped</source>
            <translation>已停止</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>就绪</translation>
        </message>
        <message>
            <source>The run being trained stays plotted until it ends.</source>
            <translation>正在训练的运行在结束前会一直留在图中。</translation>
        </message>
    </context>
    <context>
        <name>TrainingForm</name>
        <message>
            <source>Fashion-MNIST Folder</source>
            <translation>Fashion-MNIST 文件夹</translation>
        </message>
        <message>
            <source>Run Folder</source>
            <translation>运行文件夹</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Run</source>
            <translation>运行</translation>
        </message>
        <message>
            <source>Model:</source>
            <translation>模型：</translation>
        </message>
        <message>
            <source>CLIP</source>
            <translation>CLIP</translation>
        </message>
        <message>
            <source>DDPM (diffusion)</source>
            <translation>DDPM（扩散模型）</translation>
        </message>
        <message>
            <source>UNet:</source>
            <translation>UNet：</translation>
        </message>
        <message>
            <source>Preset:</source>
            <translation>预设：</translation>
        </message>
        <message>
            <source>mini: the built-in ddpm-mini (about 2 s a step on a CPU core); tiny: a small UNet that trains in seconds, for trying things out</source>
            <translation>mini：内置的 ddpm-mini（在一个 CPU 核心上每步约 2 秒）；tiny：几秒即可训练完的小型 UNet，用于试验</translation>
        </message>
        <message>
            <source>mini: the built-in clip-mini (about one step a second on a CPU); tiny: a small model that trains in seconds, for trying things out</source>
            <translation>mini：内置的 clip-mini（在 CPU 上约每秒一步）；tiny：几秒钟就能训练完的小模型，用于试验</translation>
        </message>
        <message>
            <source>Steps:</source>
            <translation>步数：</translation>
        </message>
        <message>
            <source>Folder:</source>
            <translation>文件夹：</translation>
        </message>
        <message>
            <source>Choose the run folder</source>
            <translation>选择运行文件夹</translation>
        </message>
        <message>
            <source>Continue the run in this folder</source>
            <translation>继续此文件夹中的运行</translation>
        </message>
        <message>
            <source>A fresh run writes its checkpoint, metrics.jsonl and TensorBoard events here.</source>
            <translation>新的运行会把检查点、metrics.jsonl 和 TensorBoard 事件文件写到这里。</translation>
        </message>
        <message>
            <source>Advanced: optimiser, data, cadence</source>
            <translation>高级：优化器、数据、间隔</translation>
        </message>
        <message>
            <source>Batch:</source>
            <translation>批大小：</translation>
        </message>
        <message>
            <source> images</source>
            <translation> 张图像</translation>
        </message>
        <message>
            <source>Learning rate:</source>
            <translation>学习率：</translation>
        </message>
        <message>
            <source>The peak learning rate: a linear warm-up to it, then a cosine to 0</source>
            <translation>峰值学习率：先线性预热到该值，再按余弦降到 0</translation>
        </message>
        <message>
            <source>Seed:</source>
            <translation>种子：</translation>
        </message>
        <message>
            <source>Precision:</source>
            <translation>精度：</translation>
        </message>
        <message>
            <source>bf16 is several times faster where the processor has native bf16 units, and slower where it must be emulated</source>
            <translation>在具有原生 bf16 单元的处理器上，bf16 会快好几倍；需要模拟时则更慢</translation>
        </message>
        <message>
            <source>Data mix:</source>
            <translation>数据配比：</translation>
        </message>
        <message>
            <source>Fashion-MNIST</source>
            <translation>Fashion-MNIST</translation>
        </message>
        <message>
            <source>Shapes, one object</source>
            <translation>形状，单个物体</translation>
        </message>
        <message>
            <source>Shapes, several</source>
            <translation>形状，多个物体</translation>
        </message>
        <message>
            <source>Shares of each batch: Fashion-MNIST garments, Shapes World scenes with one object, and with two or three (renormalised to 100 %)</source>
            <translation>每个批次中的份额：Fashion-MNIST 服饰、只有一个物体的形状世界场景，以及有两三个物体的场景（会重新归一化到 100 %）</translation>
        </message>
        <message>
            <source>Fashion-MNIST:</source>
            <translation>Fashion-MNIST：</translation>
        </message>
        <message>
            <source>Choose the folder holding the Fashion-MNIST files</source>
            <translation>选择存放 Fashion-MNIST 文件的文件夹</translation>
        </message>
        <message>
            <source>Sample grid every:</source>
            <translation>样本网格间隔：</translation>
        </message>
        <message>
            <source>Evaluate every:</source>
            <translation>评估间隔：</translation>
        </message>
        <message>
            <source> steps</source>
            <translation> 步</translation>
        </message>
        <message>
            <source>only at the end</source>
            <translation>仅在结束时</translation>
        </message>
        <message>
            <source>The model draws its sample grid this often (and at the end)</source>
            <translation>模型按此间隔生成样本网格（训练结束时也会生成）</translation>
        </message>
        <message>
            <source>Held-out accuracy and the sample grid are refreshed this often</source>
            <translation>留出集准确率和样本网格按此间隔刷新</translation>
        </message>
        <message>
            <source>Checkpoint every:</source>
            <translation>检查点间隔：</translation>
        </message>
        <message>
            <source>block channels %1 · layers per block %2</source>
            <translation>各块通道数 %1 · 每块层数 %2</translation>
        </message>
        <message>
            <source>A denoising UNet for Fashion-MNIST at 32 × 32; by default %1 steps of %2 images, samples drawn with %3 DDIM steps.</source>
            <translation>在 32 × 32 的 Fashion-MNIST 上训练的去噪 UNet；默认 %1 步、每步 %2 张图像，采样使用 %3 步 DDIM。</translation>
        </message>
        <message>
            <source>Vision tower %1 wide × %2 layers; by default %3 steps of %4 images.</source>
            <translation>视觉塔宽 %1 × %2 层；默认训练 %3 步，每步 %4 张图像。</translation>
        </message>
        <message>
            <source>Takes %1 on this computer.</source>
            <translation>在这台电脑上需要%1。</translation>
        </message>
        <message>
            <source>%1 holds no training run to continue (no %2).</source>
            <translation>%1 中没有可继续的训练（缺少 %2）。</translation>
        </message>
        <message>
            <source>The run (%1) is at step %2 of %3. It continues with its own settings; only the steps and the sample-grid and checkpoint cadence can change.</source>
            <translation>该运行（%1）已完成第 %2 步，共 %3 步。继续训练时沿用它自己的设置；只能修改步数以及样本网格和检查点的间隔。</translation>
        </message>
        <message>
            <source>The run (%1) is at step %2 of %3. It continues with its own settings; only the steps and the evaluation and checkpoint cadence can change.</source>
            <translation>该运行（%1）已完成第 %2 步，共 %3 步。继续训练时沿用它自己的设置；只能修改步数以及评估和检查点的间隔。</translation>
        </message>
        <message>
            <source>auto (%1 on this processor)</source>
            <translation>自动（此处理器上为 %1）</translation>
        </message>
        <message>
            <source>Found: the model learns to draw its 60,000 training images.</source>
            <translation>已找到：模型将学习画出其中的 60,000 张训练图像。</translation>
        </message>
        <message>
            <source>Not found there: DDPM training needs it (Debian's dataset-fashion-mnist package installs it).</source>
            <translation>未在此找到：DDPM 训练需要它（Debian 的 dataset-fashion-mnist 软件包会安装它）。</translation>
        </message>
        <message>
            <source>Found: used for training and for the held-out Fashion-MNIST accuracy.</source>
            <translation>已找到：用于训练和留出集上的 Fashion-MNIST 准确率。</translation>
        </message>
        <message>
            <source>Not found there: the Fashion-MNIST share goes to Shapes World (Debian's dataset-fashion-mnist package installs it).</source>
            <translation>未找到：Fashion-MNIST 的份额改用形状世界（Debian 的 dataset-fashion-mnist 软件包会安装它）。</translation>
        </message>
        <message>
            <source>A Q-Former and a small OPT decoder over clip-mini's vision tower, for Shapes World questions and Fashion-MNIST; by default %1 contrastive then %2 generative steps of %3 images.</source>
            <translation>基于 clip-mini 视觉塔的 Q-Former 和小型 OPT 解码器，用于 Shapes World 问答和 Fashion-MNIST；默认先进行 %1 步对比训练，再进行 %2 步生成训练，每步 %3 张图像。</translation>
        </message>
        <message>
            <source>BLIP-2 (chat)</source>
            <translation>BLIP-2（对话）</translation>
        </message>
        <message>
            <source>mini: the built-in blip2-mini (about half an hour on a CPU); tiny: a small model that trains in seconds, for trying things out</source>
            <translation>mini：内置的 blip2-mini（在 CPU 上约半小时）；tiny：几秒钟就能训练完的小模型，用于试验</translation>
        </message>
        <message>
            <source>LLaVA (chat)</source>
            <translation>LLaVA（对话）</translation>
        </message>
        <message>
            <source>CLIP learns to match images and captions; DDPM learns to draw Fashion-MNIST images from noise; BLIP-2 and LLaVA learn to answer questions about an image</source>
            <translation>CLIP 学习匹配图像与文字描述；DDPM 学习从噪声中画出 Fashion-MNIST 图像；BLIP-2 和 LLaVA 学习回答关于图像的问题</translation>
        </message>
        <message>
            <source>mini: the built-in llava-mini (about half an hour on a CPU); tiny: a small model that trains in seconds, for trying things out</source>
            <translation>mini：内置的 llava-mini（在 CPU 上约半小时）；tiny：几秒钟就能训练完的小模型，用于试验</translation>
        </message>
        <message>
            <source>A small LLaMA decoder over clip-mini's first layer, for Shapes World questions and captions; by default %1 steps on captions then %2 on conversations of %3 images.</source>
            <translation>基于 clip-mini 第一层的小型 LLaMA 解码器，用于 Shapes World 问答和图片描述；默认先用图片描述训练 %1 步，再用对话训练 %2 步，每步 %3 张图像。</translation>
        </message>
        <message>
            <source>Not used: LLaVA trains on Shapes World alone.</source>
            <translation>未使用：LLaVA 只用 Shapes World 训练。</translation>
        </message>
    </context>
    <context>
        <name>TrainingPanel</name>
        <message>
            <source>Training</source>
            <translation>训练</translation>
        </message>
        <message>
            <source>Samples</source>
            <translation>样本</translation>
        </message>
        <message>
            <source>Runs and checkpoints</source>
            <translation>运行与检查点</translation>
        </message>
    </context>
    <context>
        <name>TrainingPlot</name>
        <message>
            <source>Shapes</source>
            <translation>形状</translation>
        </message>
        <message>
            <source>Held-out pairs</source>
            <translation>留出组合</translation>
        </message>
        <message>
            <source>Fashion-MNIST</source>
            <translation>Fashion-MNIST</translation>
        </message>
        <message>
            <source>step %1: %2</source>
            <translation>第 %1 步：%2</translation>
        </message>
        <message>
            <source>Loss</source>
            <translation>损失</translation>
        </message>
        <message>
            <source>Held-out zero-shot accuracy</source>
            <translation>留出集零样本准确率</translation>
        </message>
        <message>
            <source>Learning rate</source>
            <translation>学习率</translation>
        </message>
        <message>
            <source>Temperature</source>
            <translation>温度</translation>
        </message>
        <message>
            <source>step</source>
            <translation>步</translation>
        </message>
        <message>
            <source>Held-out VQA accuracy</source>
            <translation>留出集 VQA 准确率</translation>
        </message>
    </context>
    <context>
        <name>TrainingRequest</name>
        <message>
            <source>Choose a run folder.</source>
            <translation>请选择一个运行文件夹。</translation>
        </message>
        <message>
            <source>Steps must be at least 1.</source>
            <translation>步数至少为 1。</translation>
        </message>
        <message>
            <source>The learning rate must be a number above 0 and at most 1, such as 0.001.</source>
            <translation>学习率必须是大于 0 且不超过 1 的数，例如 0.001。</translation>
        </message>
        <message>
            <source>The data mix needs at least one share above 0 %.</source>
            <translation>数据配比中至少要有一项大于 0 %。</translation>
        </message>
        <message>
            <source>DDPM training needs Fashion-MNIST, which is not in %1: install Debian's dataset-fashion-mnist package or choose the folder that holds it.</source>
            <translation>DDPM 训练需要 Fashion-MNIST，但 %1 中没有找到：请安装 Debian 的 dataset-fashion-mnist 软件包，或选择包含它的文件夹。</translation>
        </message>
        <message>
            <source>%1 holds no training run to continue (no %2).</source>
            <translation>%1 中没有可继续的训练（缺少 %2）。</translation>
        </message>
        <message>
            <source>%1 holds a DDPM run: choose DDPM as the model to continue it.</source>
            <translation>%1 中是一次 DDPM 训练：请将模型选为 DDPM 以继续训练。</translation>
        </message>
        <message>
            <source>%1 holds a CLIP run: choose CLIP as the model to continue it.</source>
            <translation>%1 中是一次 CLIP 训练：请将模型选为 CLIP 以继续训练。</translation>
        </message>
        <message>
            <source>The run in %1 already did %2 steps: set Steps above %2 to train further.</source>
            <translation>%1 中的运行已完成 %2 步：要继续训练，请把步数设为大于 %2。</translation>
        </message>
        <message>
            <source>%1 already holds a training run. Tick “Continue the run in this folder” to resume it, or choose another folder.</source>
            <translation>%1 中已有一次训练。勾选“继续此文件夹中的运行”以接着训练，或选择其他文件夹。</translation>
        </message>
        <message>
            <source>%1 is a file, not a folder.</source>
            <translation>%1 是文件，不是文件夹。</translation>
        </message>
        <message>
            <source>Cannot create the run folder %1.</source>
            <translation>无法创建运行文件夹 %1。</translation>
        </message>
        <message>
            <source>Cannot write to the run folder %1.</source>
            <translation>无法写入运行文件夹 %1。</translation>
        </message>
        <message>
            <source>%1 holds a BLIP-2 run: choose BLIP-2 as the model to continue it.</source>
            <translation>%1 中是一次 BLIP-2 训练：请将模型选为 BLIP-2 以继续训练。</translation>
        </message>
        <message>
            <source>%1 holds a LLaVA run: choose LLaVA as the model to continue it.</source>
            <translation>%1 中是一次 LLaVA 训练：请将模型选为 LLaVA 以继续训练。</translation>
        </message>
    </context>
    <context>
        <name>TrainingRuns</name>
        <message>
            <source>%1 does not exist.</source>
            <translation>%1 不存在。</translation>
        </message>
        <message>
            <source>%1 holds no %2: not a training run folder.</source>
            <translation>%1 中没有 %2：不是训练运行文件夹。</translation>
        </message>
        <message>
            <source>%1 is already plotted.</source>
            <translation>%1 已在图中。</translation>
        </message>
        <message numerus="yes">
            <source>%n line(s) of the metrics file skipped; the first: %1</source>
            <translation>
                <numerusform>跳过了指标文件中的 %n 行；第一行：%1</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>TrainingStatus</name>
        <message>
            <source>under a minute</source>
            <translation>不到一分钟</translation>
        </message>
        <message>
            <source>about a minute</source>
            <translation>约一分钟</translation>
        </message>
        <message numerus="yes">
            <source>about %n min</source>
            <translation>
                <numerusform>约 %n 分钟</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>about %n h</source>
            <translation>
                <numerusform>约 %n 小时</numerusform>
            </translation>
        </message>
        <message>
            <source>about %1 h %2 min</source>
            <translation>约 %1 小时 %2 分钟</translation>
        </message>
        <message>
            <source>Start a Long Run?</source>
            <translation>开始一次长时间的训练？</translation>
        </message>
        <message numerus="yes">
            <source>The %1 preset trains for %2 steps: %3 on this computer, with its %n CPU core(s).</source>
            <translation>
                <numerusform>%1 预设要训练 %2 步：在这台有 %n 个 CPU 核心的电脑上需要%3。</numerusform>
            </translation>
        </message>
        <message>
            <source>Pause and Stop work at any time, and Stop keeps a checkpoint. To try things out first, the tiny preset trains in under a minute.</source>
            <translation>随时可以暂停或停止，停止时会保留检查点。若想先试一试，tiny 预设不到一分钟即可训练完。</translation>
        </message>
        <message>
            <source>Start</source>
            <translation>开始</translation>
        </message>
        <message>
            <source>Not Now</source>
            <translation>暂不</translation>
        </message>
        <message>
            <source>%1 of %2</source>
            <translation>%1（共 %2 张）</translation>
        </message>
        <message>
            <source>Shapes %1</source>
            <translation>形状 %1</translation>
        </message>
        <message>
            <source>held-out pairs %1</source>
            <translation>留出组合 %1</translation>
        </message>
        <message>
            <source>Fashion-MNIST %1</source>
            <translation>Fashion-MNIST %1</translation>
        </message>
    </context>
    <context>
        <name>VideoPlayer</name>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Play</source>
            <translation>播放</translation>
        </message>
        <message>
            <source>Drag to seek</source>
            <translation>拖动以定位</translation>
        </message>
    </context>
    <context>
        <name>VideoWorker</name>
        <message>
            <source>no video is open</source>
            <translation>没有打开的视频</translation>
        </message>
    </context>
    <context>
        <name>main</name>
        <message>
            <source>Look inside multimodal models on your own machine.</source>
            <translation>在自己的电脑上洞察多模态模型。</translation>
        </message>
        <message>
            <source>Photos, videos or folders to open.</source>
            <translation>要打开的照片、视频或文件夹。</translation>
        </message>
        <message>
            <source>Print the start-up time once the window is shown, then quit.</source>
            <translation>窗口显示后打印启动耗时，然后退出。</translation>
        </message>
    </context>
</TS>
