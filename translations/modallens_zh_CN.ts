<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ClassifyPanel</name>
    <message>
        <source>No CLIP model found. Use “Add folder…” to point at a folder holding one (Hugging Face layout: config.json, model.safetensors, vocab.json, merges.txt).</source>
        <translation>未找到 CLIP 模型。请用“添加文件夹…”指向存放模型的文件夹（Hugging Face 格式：config.json、model.safetensors、vocab.json、merges.txt）。</translation>
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
    <message numerus="yes">
        <source>%n labels, one per line</source>
        <translation>
            <numerusform>%n 个标签，每行一个</numerusform>
        </translation>
    </message>
    <message>
        <source>Labels (%1)</source>
        <translation>标签（%1）</translation>
    </message>
    <message>
        <source>The prompt “%1” is already in the list.</source>
        <translation>提示词“%1”已在列表中。</translation>
    </message>
    <message>
        <source>Prompts (%1)</source>
        <translation>提示词（%1）</translation>
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
        <source>The gallery is empty: drop some photos on the window first.</source>
        <translation>图库为空：请先把照片拖到窗口中。</translation>
    </message>
    <message>
        <source>No photos selected: select one or more photos in the gallery (videos are not classified here).</source>
        <translation>未选择照片：请在图库中选择一张或多张照片（此处不对视频分类）。</translation>
    </message>
    <message>
        <source>No photos to classify.</source>
        <translation>没有可分类的照片。</translation>
    </message>
    <message>
        <source>Classifying 1 photo…</source>
        <translation>正在分类 1 张照片…</translation>
    </message>
    <message numerus="yes">
        <source>Classifying %n photos…</source>
        <translation>
            <numerusform>正在分类 %n 张照片…</numerusform>
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
        <source>The gallery holds no photos: drop some on the window first.</source>
        <translation>图库中没有照片：请先把照片拖到窗口中。</translation>
    </message>
    <message>
        <source>the gallery</source>
        <translation>图库</translation>
    </message>
    <message>
        <source>No photos found in %1.</source>
        <translation>在 %1 中未找到照片。</translation>
    </message>
    <message>
        <source>Classifying 1 photo from %1…</source>
        <translation>正在分类 %1 中的 1 张照片…</translation>
    </message>
    <message numerus="yes">
        <source>Classifying %n photos from %1…</source>
        <translation>
            <numerusform>正在分类 %1 中的 %n 张照片…</numerusform>
        </translation>
    </message>
    <message>
        <source>Evaluating %1…</source>
        <translation>正在评估 %1…</translation>
    </message>
    <message numerus="yes">
        <source>Evaluating %1… %n so far</source>
        <translation>
            <numerusform>正在评估 %1… 已完成 %n 张</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 cancelled.</source>
        <translation>%1已取消。</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1失败：%2</translation>
    </message>
    <message>
        <source>Listing the folder</source>
        <translation>列出文件夹</translation>
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
        <source>Classification</source>
        <translation>分类</translation>
    </message>
    <message>
        <source>The photo could not be classified (see the list).</source>
        <translation>无法对该照片分类（见列表）。</translation>
    </message>
    <message>
        <source>%1 of %2 photos could not be classified (see the list).</source>
        <translation>%2 张照片中有 %1 张无法分类（见列表）。</translation>
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
        <source>%1
failed</source>
        <translation>%1
失败</translation>
    </message>
    <message>
        <source>Could not classify</source>
        <translation>无法分类</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>第 %1 / %2 张</translation>
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
        <source>Accuracy &lt;b&gt;%1&lt;/b&gt; · %2 of %3 images correct · %4 classes</source>
        <translation>准确率 &lt;b&gt;%1&lt;/b&gt; · %3 张中正确 %2 张 · %4 个类别</translation>
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
    <message>
        <source>Classify</source>
        <translation>分类</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
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
        <source>Classify the photos selected in the gallery, or the one in the preview</source>
        <translation>分类图库中选中的照片，或预览中的照片</translation>
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
        <source>Select photos in the gallery and press “Classify selected”.</source>
        <translation>在图库中选择照片，然后点击“分类所选”。</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>Classify folder…</source>
        <translation>分类文件夹…</translation>
    </message>
    <message>
        <source>Classify every photo in a folder and its sub-folders</source>
        <translation>分类文件夹及其子文件夹中的所有照片</translation>
    </message>
    <message>
        <source>Classify whole gallery</source>
        <translation>分类整个图库</translation>
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
    <message>
        <source>Evaluate folder…</source>
        <translation>评估文件夹…</translation>
    </message>
    <message>
        <source>A folder with one sub-folder of photos per class; the sub-folder names are the labels</source>
        <translation>每个类别一个照片子文件夹；子文件夹名即为标签</translation>
    </message>
    <message>
        <source>Pick a folder holding one sub-folder per class (e.g. cat/, dog/). Each sub-folder’s name is its label.</source>
        <translation>选择一个每个类别各有一个子文件夹的文件夹（如 cat/、dog/）。子文件夹名即为其标签。</translation>
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
    <message numerus="yes">
        <source>%1 (+%n more)</source>
        <translation>
            <numerusform>%1（另有 %n 项）</numerusform>
        </translation>
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
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the current job</source>
        <translation>停止当前任务</translation>
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
</context>
<context>
    <name>ThumbnailLoader</name>
    <message>
        <source>empty image</source>
        <translation>图像为空</translation>
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
