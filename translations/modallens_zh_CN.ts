<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
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
</context>
</TS>
